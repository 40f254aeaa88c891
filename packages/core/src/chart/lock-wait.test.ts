import { describe, expect, it } from 'vitest'
import { MemoryCache } from '../cache/memory-cache.js'
import type { Upstream } from '../upstream/upstream.js'
import { ManualClock } from '../util/clock.js'
import { ChartService } from './chart-service.js'
import { planChunks } from './chunks.js'
import { parseChartQuery } from './query.js'

/** A shared cache whose fill lock is held by "another instance" (never granted here). */
class LockedCache extends MemoryCache {
  async acquireLock(): Promise<string | undefined> {
    return undefined
  }
}

const bars = { symbol: 'AAPL', bars: [{ t: '2024-12-02T14:30:00Z', o: 1, h: 2, l: 0.5, c: 1.5, v: 10 }] }

describe("ChartService waiting on another instance's fill lock (fake time)", () => {
  const setup = () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const cache = new LockedCache()
    let calls = 0
    const upstream = {
      minuteBars: async () => {
        calls++
        return bars
      },
    } as unknown as Upstream
    const charts = new ChartService({ upstream, cache, clock, lockWaitMs: 1000, upstreamDecimation: false })
    const query = parseChartQuery({ symbol: 'AAPL', timeframe: '1M', from_date: '2024-12-02', to_date: '2024-12-02' })
    return { clock, cache, charts, query, calls: () => calls }
  }

  it('takes the value the lock holder writes instead of asking the upstream too', async () => {
    const { clock, cache, charts, query, calls } = setup()
    const answer = charts.getChart(query, { scope: 'public' })
    await clock.advance(200)
    expect(calls()).toBe(0) // still waiting for the lock holder
    // The other instance finishes: its chunk lands in the shared cache.
    const [chunk] = planChunks('minute', 'AAPL', '2024-12-02', '2024-12-02')
    await cache.set(
      charts.chunkKey(chunk as NonNullable<typeof chunk>, 'public'),
      JSON.stringify({
        at: clock.now(),
        fresh: clock.now() + 60_000,
        value: { t: [Date.parse('2024-12-02T14:30:00Z')], o: [1], h: [2], l: [0.5], c: [1.5], v: [10] },
      }),
      60_000,
    )
    await clock.advance(50)
    const { response } = await answer
    expect(response.bars).toEqual(bars.bars)
    expect(calls()).toBe(0)
  })

  it('fills it itself once the lock wait is over', async () => {
    const { clock, charts, query, calls } = setup()
    const answer = charts.getChart(query, { scope: 'public' })
    await clock.advance(999)
    expect(calls()).toBe(0)
    await clock.advance(50)
    await answer
    expect(calls()).toBe(1)
  })
})
