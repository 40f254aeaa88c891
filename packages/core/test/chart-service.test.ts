import { ReferenceBackend } from '@hewston-bff/reference-backend'
import { loadHttpGoldens, sharedFixtures, startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  BUCKETS,
  bucketOhlc,
  ChartService,
  type ColumnarBars,
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
  const service = () => new ChartService({ upstream: createUpstreamClient({ baseUrl: backend.url }), cache: new MemoryCache() })
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
      expect(upstream.meta.stride_minutes).toBe(Number(stride))
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
      const charts = new ChartService({ upstream: createUpstreamClient({ baseUrl: backend.url }), cache: new MemoryCache() })
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
