import { ReferenceBackend } from '@hewston-bff/reference-backend'
import { loadHttpGoldens, sharedFixtures, startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BUCKETS,
  bucketOhlc,
  ChartService,
  type ColumnarBars,
  countBuckets,
  createUpstreamClient,
  DatasetNotFoundError,
  MemoryCache,
  parseChartQuery,
  UpstreamHttpError,
} from '../src/index.js'

const columnar = (r: { bars: unknown }) => {
  const b = r.bars as { t: string[]; o: number[]; h: number[]; l: number[]; c: number[]; v: number[] }
  return { t: b.t.map((t) => Date.parse(t)), o: b.o, h: b.h, l: b.l, c: b.c, v: b.v } as ColumnarBars
}
const rowsOf = (b: ColumnarBars) =>
  b.t.map((t, i) => ({ t: `${new Date(t).toISOString().slice(0, 19)}Z`, o: b.o[i], h: b.h[i], l: b.l[i], c: b.c[i], v: b.v[i] }))

describe('ChartService against the reference backend (generated data)', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    ;({ backend, cleanup } = await startGeneratedBackend({ seed: 21 }))
  })
  afterAll(async () => cleanup())
  // Chunk mechanics are tested with the cold fast path off; it has its own tests below.
  const service = () =>
    new ChartService({ upstream: createUpstreamClient({ baseUrl: backend.url }), cache: new MemoryCache(), upstreamDecimation: false })
  const minuteCalls = () => backend.stats.requests['GET /bars/minute'] ?? 0
  const q = (o: Record<string, string>) => parseChartQuery({ symbol: 'AAPL', timeframe: '1M_DECIMATED', ...o })

  it('decimates exactly like the upstream /bars/minute_decimated, for every stride', async () => {
    const charts = service()
    const raw = await charts.getChart(
      q({ timeframe: '1M', from_date: '2024-12-02', to_date: '2024-12-06', target_points: '100000', format: 'columnar' }),
      { scope: 'public' },
    )
    expect(raw.response.metadata).toMatchObject({ decimated: false, bucket_minutes: 1, total_bars: 5 * 390 })
    const up = createUpstreamClient({ baseUrl: backend.url })
    // One week is 7199 whole minutes: these targets make the upstream pick each stride in turn.
    const targets: Record<number, number> = { 1: 10_000, 2: 3000, 5: 1500, 10: 720, 15: 500, 30: 240, 60: 120, 120: 60, 240: 1 }
    for (const [stride, target] of Object.entries(targets)) {
      const upstream = await up.minuteDecimatedBars({ symbol: 'AAPL', from: '2024-12-02', to: '2024-12-06', target })
      expect(upstream.meta?.stride_minutes).toBe(Number(stride))
      const ours = bucketOhlc(columnar(raw.response), BUCKETS.find((b) => b.minutes === Number(stride)) as (typeof BUCKETS)[number])
      expect(rowsOf(ours)).toEqual(upstream.bars)
    }
  })

  it('fetches each month once and serves overlapping ranges from cached chunks', async () => {
    const charts = service()
    const before = minuteCalls()
    const first = await charts.getChart(q({ from_date: '2024-10-15', to_date: '2024-11-20' }), { scope: 'public' })
    expect(first.response.metadata).toMatchObject({ cache_hit: false, upstream_calls: 2 })
    expect(minuteCalls() - before).toBe(2)
    const overlapping = await charts.getChart(q({ from_date: '2024-11-01', to_date: '2024-12-10' }), { scope: 'public' })
    expect(overlapping.response.metadata).toMatchObject({ cache_hit: false, upstream_calls: 1 })
    expect(minuteCalls() - before).toBe(3)
    const inside = await charts.getChart(q({ from_date: '2024-10-20', to_date: '2024-12-01' }), { scope: 'public' })
    expect(inside.response.metadata).toMatchObject({ cache_hit: true, upstream_calls: 0 })
    expect(minuteCalls() - before).toBe(3)
  })

  it('collapses 50 concurrent identical cold requests into one upstream call per chunk', async () => {
    const charts = service()
    const before = minuteCalls()
    const results = await Promise.all(
      Array.from({ length: 50 }, () => charts.getChart(q({ from_date: '2024-07-01', to_date: '2024-09-30' }), { scope: 'public' })),
    )
    expect(minuteCalls() - before).toBe(3)
    const bodies = new Set(results.map((r) => JSON.stringify(r.response.bars)))
    expect(bodies.size).toBe(1)
  })

  it('keeps caller scopes apart: another credential never sees cached bars', async () => {
    const charts = service()
    const before = minuteCalls()
    await charts.getChart(q({ from_date: '2024-03-01', to_date: '2024-03-31' }), { scope: 'u-alice' })
    await charts.getChart(q({ from_date: '2024-03-01', to_date: '2024-03-31' }), { scope: 'u-alice' })
    expect(minuteCalls() - before).toBe(1)
    await charts.getChart(q({ from_date: '2024-03-01', to_date: '2024-03-31' }), { scope: 'u-bob' })
    expect(minuteCalls() - before).toBe(2)
  })

  it('decimates every timeframe over the budget and says so; stays raw under it', async () => {
    const charts = service()
    const hour = await charts.getChart(q({ timeframe: '1H', from_date: '2024-01-01', to_date: '2024-12-31', target_points: '500' }), {
      scope: 'public',
    })
    expect(hour.response.metadata.total_bars).toBeGreaterThan(500)
    expect(hour.response.metadata).toMatchObject({ decimated: true })
    expect(hour.response.metadata.returned_bars).toBeLessThanOrEqual(500)
    const daily = await charts.getChart(q({ timeframe: '1D', from_date: '2024-01-01', to_date: '2024-12-31' }), { scope: 'public' })
    expect(daily.response.metadata).toMatchObject({
      decimated: false,
      bucket_minutes: 1440,
      total_bars: daily.response.metadata.returned_bars,
    })
    const weekly = await charts.getChart(q({ timeframe: '1D', from_date: '2024-01-01', to_date: '2024-12-31', target_points: '60' }), {
      scope: 'public',
    })
    expect(weekly.response.metadata).toMatchObject({ decimated: true, bucket_minutes: 10_080 })
    const volume = (r: typeof daily) => (r.response.bars as { v: number }[]).reduce((s, b) => s + b.v, 0)
    expect(volume(weekly)).toBe(volume(daily))
  })

  it('answers DATASET_NOT_FOUND for an unknown symbol or an empty range', async () => {
    await expect(
      service().getChart(q({ symbol: 'ZZZZ', from_date: '2024-01-01', to_date: '2024-01-31' }), { scope: 'public' }),
    ).rejects.toBeInstanceOf(DatasetNotFoundError)
    await expect(service().getChart(q({ from_date: '2024-12-28', to_date: '2024-12-29' }), { scope: 'public' })).rejects.toBeInstanceOf(
      DatasetNotFoundError,
    )
  })

  it('passes upstream 401/403 through and never caches them', async () => {
    const charts = service()
    backend.setFaults({ routes: [{ path: '/bars/daily', status: 401, body: '{"detail":"Not authenticated"}', times: 1 }] })
    const err = await charts
      .getChart(q({ timeframe: '1D', from_date: '2024-05-01', to_date: '2024-05-31' }), { scope: 'public' })
      .catch((e) => e)
    expect(err).toBeInstanceOf(UpstreamHttpError)
    expect(err.status).toBe(401)
    const ok = await charts.getChart(q({ timeframe: '1D', from_date: '2024-05-01', to_date: '2024-05-31' }), { scope: 'public' })
    expect(ok.response.metadata.upstream_calls).toBe(1)
  })
})

const shared = sharedFixtures('chart decimation exactness on the real data')
describe.skipIf(!shared)('ChartService decimation equals the recorded upstream on real AAPL data', () => {
  let backend: ReferenceBackend
  beforeAll(async () => {
    backend = await new ReferenceBackend({ root: shared?.dataRoot as string }).start()
  })
  afterAll(async () => backend?.close())

  const goldens = shared
    ? loadHttpGoldens(shared.goldenDir).filter(
        (e) => e.file === 'bars-minute-decimated.json' && e.response.status === 200 && e.response.body,
      )
    : []
  for (const g of goldens) {
    it(`matches "${g.name}"`, async () => {
      const recorded = g.response.body as { bars: unknown[]; meta: { stride_minutes: number } }
      const from = g.request.url.match(/from=([\d-]+)/)?.[1] as string
      const to = g.request.url.match(/to=([\d-]+)/)?.[1] as string
      const charts = new ChartService({
        upstream: createUpstreamClient({ baseUrl: backend.url }),
        cache: new MemoryCache(),
        upstreamDecimation: false,
      })
      try {
        const raw = await charts.getChart(
          parseChartQuery({ symbol: 'AAPL', timeframe: '1M', from_date: from, to_date: to, target_points: '100000', format: 'columnar' }),
          { scope: 'public' },
        )
        const ours = bucketOhlc(
          columnar(raw.response),
          BUCKETS.find((b) => b.minutes === recorded.meta.stride_minutes) as (typeof BUCKETS)[number],
        )
        expect(rowsOf(ours)).toEqual(recorded.bars)
      } catch (e) {
        if (!(e instanceof DatasetNotFoundError)) throw e
        expect(recorded.bars).toEqual([])
      }
    })
  }
})

/**
 * The cold fast path against raw minutes: for every stride the upstream offers (steered by target_points),
 * its answer must be exactly what bucketing the raw minutes gives, with the same bucket chosen.
 */
async function expectFastPathExact(baseUrl: string, range: { from_date: string; to_date: string }) {
  const upstream = createUpstreamClient({ baseUrl })
  const seen = new Set<number>()
  // Budgets at exactly each stride's bucket count: that stride is then the smallest that fits.
  const raw = await new ChartService({ upstream, cache: new MemoryCache(), upstreamDecimation: false }).getChart(
    parseChartQuery({ symbol: 'AAPL', timeframe: '1M', ...range, target_points: '100000', format: 'columnar' }),
    { scope: 'public' },
  )
  const budgets = BUCKETS.filter((b) => b.minutes <= 240)
    .map((b) => countBuckets(columnar(raw.response), b))
    .filter((n) => n >= 10)
  for (const target of budgets) {
    const query = parseChartQuery({ symbol: 'AAPL', timeframe: '1M_DECIMATED', ...range, target_points: String(target) })
    const viaChunks = new ChartService({ upstream, cache: new MemoryCache(), upstreamDecimation: false })
    const fast = new ChartService({ upstream, cache: new MemoryCache() })
    const exact = (await viaChunks.getChart(query, { scope: 'public' })).response
    const cold = (await fast.getChart(query, { scope: 'public' })).response
    expect(cold.metadata.bucket_minutes, `target ${target}`).toBe(exact.metadata.bucket_minutes)
    expect(cold.bars, `target ${target}`).toEqual(exact.bars)
    expect(cold.metadata.upstream_calls, `target ${target}`).toBeLessThanOrEqual(6)
    seen.add(cold.metadata.bucket_minutes)
    await fast.chunks.whenIdle()
  }
  return seen
}

describe("cold decimated charts from the upstream's own decimation", () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    ;({ backend, cleanup } = await startGeneratedBackend({ seed: 23 }))
  })
  afterAll(async () => cleanup())

  it('gives exactly the bars and bucket of bucketing raw minutes, for every stride 1…240 (generated data)', async () => {
    // One week: budgets that make each stride the smallest that fits.
    const seen = await expectFastPathExact(backend.url, { from_date: '2024-12-02', to_date: '2024-12-06' })
    expect([...seen].sort((a, b) => a - b)).toEqual([1, 2, 5, 10, 15, 30, 60, 120, 240])
  })

  it('answers a cold year in a few small upstream calls, then fills the month chunks in the background', async () => {
    const charts = new ChartService({ upstream: createUpstreamClient({ baseUrl: backend.url }), cache: new MemoryCache() })
    const minute = () => backend.stats.requests['GET /bars/minute'] ?? 0
    const decimated = () => backend.stats.requests['GET /bars/minute_decimated'] ?? 0
    const [m0, d0] = [minute(), decimated()]
    const query = parseChartQuery({ symbol: 'AAPL', timeframe: '1M_DECIMATED', from_date: '2024-01-01', to_date: '2024-12-31' })
    const cold = (await charts.getChart(query, { scope: 'public' })).response
    expect(cold.metadata).toMatchObject({ total_bars: null, decimated: true, cache_hit: false })
    expect(decimated() - d0).toBe(cold.metadata.upstream_calls)
    expect(cold.metadata.upstream_calls).toBeLessThanOrEqual(3)
    // The twelve month chunks arrive behind the answer; then the answer is rebuilt from them, exact total included.
    await charts.chunks.whenIdle()
    await new Promise((r) => setTimeout(r, 10)) // the answer is dropped right after the last fill
    expect(minute() - m0).toBe(12)
    const warm = (await charts.getChart(query, { scope: 'public' })).response
    expect(warm.bars).toEqual(cold.bars)
    expect(warm.metadata.total_bars).toBe(101_010)
    expect(warm.metadata.upstream_calls).toBe(0)
    // Other budgets and timeframes over the year now come from the chunks, without the upstream.
    const other = (await charts.getChart({ ...query, target_points: 2000 }, { scope: 'public' })).response
    expect(other.metadata).toMatchObject({ upstream_calls: 0, total_bars: 101_010 })
    expect(decimated() - d0).toBe(cold.metadata.upstream_calls)
  })
})

describe.skipIf(!shared)('cold decimated charts on the real AAPL data', () => {
  let backend: ReferenceBackend
  beforeAll(async () => {
    backend = await new ReferenceBackend({ root: shared?.dataRoot as string }).start()
  })
  afterAll(async () => backend?.close())

  it('gives exactly the bars and bucket of bucketing raw minutes (year and week, every stride)', async () => {
    const week = await expectFastPathExact(backend.url, { from_date: '2024-12-02', to_date: '2024-12-06' })
    expect(week.size).toBe(9)
    await expectFastPathExact(backend.url, { from_date: '2024-01-01', to_date: '2024-12-31' })
  })
})
