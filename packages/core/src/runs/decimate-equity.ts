import type { EquityPoint } from './metrics.js'

/**
 * Extreme-preserving decimation (min/max per bucket): the curve is cut into `points / 2` equal index
 * buckets and each keeps its lowest and highest point, in time order, so peaks and drawdowns stay visible
 * (the global minimum and maximum always survive), first and last points included. `points = 0` or a
 * curve already small enough → unchanged.
 */
export function decimateEquity(equity: readonly EquityPoint[], points: number): EquityPoint[] {
  if (points === 0 || equity.length <= points) return equity.slice()
  const buckets = Math.max(1, Math.floor((points - 2) / 2))
  const inner = equity.length - 2
  const out: EquityPoint[] = [equity[0] as EquityPoint]
  for (let b = 0; b < buckets; b++) {
    const start = 1 + Math.floor((b * inner) / buckets)
    const end = 1 + Math.floor(((b + 1) * inner) / buckets)
    if (end <= start) continue
    let lo = start
    let hi = start
    for (let i = start; i < end; i++) {
      const v = (equity[i] as EquityPoint).value
      if (v < (equity[lo] as EquityPoint).value) lo = i
      if (v > (equity[hi] as EquityPoint).value) hi = i
    }
    if (lo === hi) out.push(equity[lo] as EquityPoint)
    else if (lo < hi) out.push(equity[lo] as EquityPoint, equity[hi] as EquityPoint)
    else out.push(equity[hi] as EquityPoint, equity[lo] as EquityPoint)
  }
  out.push(equity.at(-1) as EquityPoint)
  return out
}
