import { startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChartService, createUpstreamClient, ManualClock, MemoryCache, parseChartQuery, TtlPolicy } from '../src/index.js'

describe('stale-while-revalidate: a popular chart never waits for its refetch (fake time)', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 29 })
  })
  afterAll(async () => gen?.cleanup())

  it('refreshes chunks near the end of their life in the background and serves the new ones without waiting', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const ttl = new TtlPolicy({ olderMs: 60_000 })
    const charts = new ChartService({ upstream: createUpstreamClient({ baseUrl: gen.backend.url }), cache: new MemoryCache(), clock, ttl })
    const minuteCalls = () => gen.backend.stats.requests['GET /bars/minute'] ?? 0
    const query = parseChartQuery({ symbol: 'AAPL', timeframe: '1M', from_date: '2024-11-01', to_date: '2024-12-31' })
    const calls0 = minuteCalls()
    await charts.getChart({ ...query, target_points: 100_000 }, { scope: 'public' })
    await charts.chunks.whenIdle()
    expect(minuteCalls() - calls0).toBe(2) // November and December

    // 95 % into their fresh life: still served at once, and refreshed behind the answer.
    clock.tick(57_000)
    const early = await charts.getChart({ ...query, target_points: 100_000 }, { scope: 'public' })
    expect(early.response.metadata).toMatchObject({ cache_hit: true, upstream_calls: 0 })
    await charts.chunks.whenIdle()
    expect(minuteCalls() - calls0).toBe(4)

    // Past the first fetch's expiry: the refreshed chunks answer, nothing is fetched on the request's path.
    clock.tick(10_000)
    const later = await charts.getChart({ ...query, target_points: 100_000 }, { scope: 'public' })
    expect(later.response.metadata).toMatchObject({ upstream_calls: 0 })
    expect(later.response.metadata.stale).toBeUndefined()
    expect(minuteCalls() - calls0).toBe(4)
  })
})
