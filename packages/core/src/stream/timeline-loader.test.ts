import { describe, expect, it } from 'vitest'
import type { PlaybackFrame, RunStreamEvent } from '../contract/stream.js'
import { UpstreamHttpError, UpstreamUnavailableError } from '../errors/upstream-errors.js'
import type { Upstream } from '../upstream/upstream.js'
import { ManualClock } from '../util/clock.js'
import type { Timeline } from './timeline.js'
import { type LoaderStatus, TimelineLoader } from './timeline-loader.js'

const T0 = Date.UTC(2024, 9, 1)
const frame = (i: number): PlaybackFrame => {
  const ts = new Date(T0 + i * 60_000).toISOString().replace('.000Z', 'Z')
  return { t: 'frame', ts, ohlc: null, orders: [], equity: { ts, value: i }, dropped: 0 }
}

/**
 * An upstream whose run stream follows a script, one entry per request: `n` frames from the first row
 * (the upstream cannot resume), then `end`, a drop, or — for `refuse` — an HTTP error before any frame.
 */
function scriptedUpstream(script: ({ frames: number; after: 'end' | 'drop' } | { refuse: number })[]) {
  let calls = 0
  const upstream = {
    async *runStream(): AsyncGenerator<RunStreamEvent> {
      const step = script[Math.min(calls++, script.length - 1)]
      if (!step) throw new Error('no script')
      if ('refuse' in step) throw new UpstreamHttpError(step.refuse, '{"detail":"no"}', 'application/json')
      for (let i = 0; i < step.frames; i++) yield { type: 'frame', frame: frame(i) }
      if (step.after === 'end') yield { type: 'end' }
      else throw new UpstreamUnavailableError('upstream stream broke')
    },
  } as unknown as Upstream
  return { upstream, calls: () => calls }
}

async function settle(loader: TimelineLoader, clock: ManualClock, maxMs = 600_000): Promise<LoaderStatus[]> {
  const seen: LoaderStatus[] = []
  loader.on('status', (s) => seen.push(s))
  loader.start()
  for (let t = 0; t < maxMs && !['complete', 'error'].includes(loader.status.state); t += 100) await clock.advance(100)
  return seen
}

describe('TimelineLoader reconnects', () => {
  it('does not escalate the backoff while re-reads bring frames already held, then completes', async () => {
    const clock = new ManualClock(0)
    // Each read gets a little further than the frames held, like a re-read cut short by the next kill.
    const { upstream } = scriptedUpstream([
      { frames: 100, after: 'drop' },
      { frames: 50, after: 'drop' },
      { frames: 80, after: 'drop' },
      { frames: 90, after: 'drop' },
      { frames: 150, after: 'drop' },
      { frames: 200, after: 'end' },
    ])
    const loader = new TimelineLoader({ upstream, runId: 'r', clock, backoffMs: [1000, 8000], random: () => 0.5 })
    const seen = await settle(loader, clock)
    const delays = seen.filter((s) => s.state === 'reconnecting').map((s) => s.retry_in_ms)
    expect(delays).toEqual([1000, 1000, 1000, 1000, 1000])
    expect(loader.status.state).toBe('complete')
    expect(loader.timeline.length).toBe(200)
  })

  it('escalates the backoff for reads that bring nothing, and gives up after maxAttempts of them', async () => {
    const clock = new ManualClock(0)
    const { upstream, calls } = scriptedUpstream([
      { frames: 10, after: 'drop' },
      { frames: 0, after: 'drop' },
    ])
    const loader = new TimelineLoader({ upstream, runId: 'r', clock, backoffMs: [100, 200, 400], maxAttempts: 4, random: () => 0.5 })
    const seen = await settle(loader, clock)
    expect(seen.filter((s) => s.state === 'reconnecting').map((s) => s.retry_in_ms)).toEqual([100, 100, 200, 400, 400])
    expect(loader.status).toMatchObject({ state: 'error', error: { code: 'UPSTREAM_UNAVAILABLE' } })
    expect(calls()).toBe(6)
  })

  it('switches to the artifacts after the first drop instead of re-reading from the first frame', async () => {
    const clock = new ManualClock(0)
    const { upstream, calls } = scriptedUpstream([{ frames: 40, after: 'drop' }])
    const fallback = async (into: Timeline) => {
      for (let i = 0; i < 100; i++) into.push({ ts: frame(i).ts, ohlc: null, orders: [], equity: { value: i } })
    }
    const loader = new TimelineLoader({ upstream, runId: 'r', clock, fallback })
    await settle(loader, clock)
    expect(calls()).toBe(1)
    expect(loader.status).toEqual({ state: 'complete', source: 'artifacts' })
    expect(loader.timeline.length).toBe(100)
  })

  it('goes back to re-reading the upstream when the artifacts fail', async () => {
    const clock = new ManualClock(0)
    const { upstream, calls } = scriptedUpstream([
      { frames: 40, after: 'drop' },
      { frames: 100, after: 'end' },
    ])
    const loader = new TimelineLoader({
      upstream,
      runId: 'r',
      clock,
      fallback: () => Promise.reject(new Error('no artifacts')),
      backoffMs: [100],
    })
    await settle(loader, clock)
    expect(calls()).toBe(2)
    expect(loader.status).toEqual({ state: 'complete', source: 'upstream' })
  })

  it('takes a 401/403/404 from the run stream as final: no retry and never the artifacts', async () => {
    for (const status of [401, 403, 404]) {
      const clock = new ManualClock(0)
      const { upstream, calls } = scriptedUpstream([{ refuse: status }])
      let fallbacks = 0
      const loader = new TimelineLoader({ upstream, runId: 'r', clock, fallback: async () => void fallbacks++ })
      await settle(loader, clock)
      expect(loader.status).toMatchObject({ state: 'error', error: { code: `UPSTREAM_${status}` } })
      expect(calls()).toBe(1)
      expect(fallbacks).toBe(0)
    }
  })
})
