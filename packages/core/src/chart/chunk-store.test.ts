import { describe, expect, it } from 'vitest'
import { MemoryCache } from '../cache/memory-cache.js'
import { TtlPolicy } from '../cache/ttl-policy.js'
import type { Upstream } from '../upstream/upstream.js'
import { ManualClock } from '../util/clock.js'
import { ChunkStore } from './chunk-store.js'
import { planChunks } from './chunks.js'

describe('ChunkStore background work', () => {
  it('keeps its queue bounded and never queues a chunk twice, however many charts ask', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const asked: string[] = []
    const release: (() => void)[] = []
    // An upstream that answers only when told, so the queue fills up behind two running fills.
    const upstream = {
      minuteBars: (q: { symbol: string; from: string }) =>
        new Promise((resolve) => {
          asked.push(`${q.symbol}:${q.from}`)
          release.push(() => resolve({ symbol: q.symbol, bars: [] }))
        }),
    } as unknown as Upstream
    const store = new ChunkStore({
      upstream,
      cache: new MemoryCache(),
      ttl: new TtlPolicy(),
      clock,
      memoryBytes: 1 << 20,
      backgroundConcurrency: 2,
      backgroundQueueMax: 50,
    })
    const caller = { scope: 'public' }
    // 40 symbols × 12 months = 480 distinct chunks, each asked for three times.
    for (let round = 0; round < 3; round++)
      for (let s = 0; s < 40; s++) void store.prefetch(planChunks('minute', `S${s}`, '2023-01-01', '2023-12-31'), caller, true)
    await clock.advance(0)
    expect(asked).toHaveLength(2) // running
    // Drain: everything that was queued runs once; nothing past the bound was kept.
    while (release.length) {
      release.shift()?.()
      await clock.advance(0)
    }
    await store.whenIdle()
    expect(asked.length).toBe(52)
    expect(new Set(asked).size).toBe(asked.length)
  })
})
