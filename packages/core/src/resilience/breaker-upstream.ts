import type { Upstream } from '../upstream/upstream.js'
import type { UpstreamBreaker } from './breaker.js'

/** The same Upstream, every call made through `breaker` (so aggregations fail fast on a dead backend too). */
export function withBreaker(upstream: Upstream, breaker: UpstreamBreaker): Upstream {
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      breaker.execute(() => fn(...args))
  return {
    baseUrl: upstream.baseUrl,
    healthz: wrap(upstream.healthz),
    listBacktests: wrap(upstream.listBacktests),
    getRun: wrap(upstream.getRun),
    createBacktest: wrap(upstream.createBacktest),
    dailyBars: wrap(upstream.dailyBars),
    minuteBars: wrap(upstream.minuteBars),
    hourBars: wrap(upstream.hourBars),
    minuteDecimatedBars: wrap(upstream.minuteDecimatedBars),
  }
}

/** Which errors are upstream failures for the breaker: anything but an upstream answer below 502. */
export function isUpstreamFailure(err: unknown): boolean {
  const status = (err as { status?: unknown })?.status
  const code = (err as { code?: unknown })?.code
  if (code === 'UPSTREAM_HTTP' && typeof status === 'number') return status >= 502
  return code !== 'VALIDATION'
}
