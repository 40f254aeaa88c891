import type { ServerResponse } from 'node:http'

/**
 * Marks an answer that cached data past its freshness stood in for (the upstream was out): `Age` in
 * seconds and a `Warning: 110` ("Response is Stale", RFC 7234 §5.5.1), besides `metadata.stale` in the body.
 */
export function markStale(res: ServerResponse, metadata: { stale?: boolean; age_s?: number }): void {
  if (!metadata.stale) return
  res.setHeader('age', String(metadata.age_s ?? 0))
  res.setHeader('warning', '110 hewston-bff "Response is Stale"')
}
