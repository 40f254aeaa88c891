/**
 * A parameters object without `undefined`, `null` and `''` — the values the frontend's own services leave
 * out of a query string (`strategy_id: ''` must not send `strategy_id=`).
 */
export function compact<T extends object>(params: T): Partial<T> {
  return Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')) as Partial<T>
}
