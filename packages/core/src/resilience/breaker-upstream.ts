import type { RunStreamEvent } from '../contract/stream.js'
import type { CallOptions, Upstream } from '../upstream/upstream.js'
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
    runStream: (runId, options) => guardedStream(upstream, breaker, runId, options),
  }
}

/**
 * A run stream whose opening goes through the breaker (a dead backend fails fast, a failed open counts);
 * the events that follow are not held inside the breaker — a stream lasts as long as it lasts.
 */
async function* guardedStream(
  upstream: Upstream,
  breaker: UpstreamBreaker,
  runId: string,
  options?: CallOptions,
): AsyncGenerator<RunStreamEvent> {
  const events = upstream.runStream(runId, options)[Symbol.asyncIterator]()
  try {
    const first = await breaker.execute(() => events.next())
    if (first.done) return
    yield first.value
    for (;;) {
      const next = await events.next()
      if (next.done) return
      yield next.value
    }
  } finally {
    // A consumer that stops early closes the underlying stream too.
    await events.return?.(undefined)
  }
}

/** Which errors are upstream failures for the breaker: anything but an upstream answer below 502. */
export function isUpstreamFailure(err: unknown): boolean {
  const status = (err as { status?: unknown })?.status
  const code = (err as { code?: unknown })?.code
  if (code === 'UPSTREAM_HTTP' && typeof status === 'number') return status >= 502
  return code !== 'VALIDATION'
}
