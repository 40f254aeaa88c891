import v8 from 'node:v8'
import vm from 'node:vm'
import { startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ChartService,
  createUpstreamClient,
  MemoryCache,
  parseChartQuery,
  parseRunCompleteQuery,
  RunService,
  TimelineLoader,
  type Upstream,
} from '../src/index.js'

// A real garbage collection between measurements (vitest does not start workers with --expose-gc).
v8.setFlagsFromString('--expose-gc')
const gc = vm.runInNewContext('gc') as () => void

/** Memory in use after collecting garbage: the V8 heap plus typed-array backing stores. */
function inUse(): number {
  gc()
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.external
}

/**
 * Memory held by what `build` returns, measured: a first build warms up (code, the backend's own caches,
 * lazily created structures) and is dropped, then the second one is kept while measuring.
 */
async function measure<T>(build: () => Promise<T>): Promise<{ held: T; measured: number }> {
  await warmUp(build)
  const before = inUse()
  const held = await build()
  return { held, measured: inUse() - before }
}

// Its own function: a suspended async frame keeps the last awaited value alive in a register, which would
// keep the warm-up's build in memory while measuring.
async function warmUp(build: () => Promise<unknown>): Promise<void> {
  await build()
}

/** Accounting must bound memory (never below what is held) without wasting the budget (at most twice). */
function expectHonest(accounted: number, measured: number): void {
  expect(measured).toBeGreaterThan(0)
  console.log(`accounted ${accounted} B, measured ${measured} B (${Math.round((accounted / measured) * 100)} %)`)
  expect(accounted, `accounted ${accounted} B vs measured ${measured} B`).toBeGreaterThanOrEqual(measured)
  expect(accounted, `accounted ${accounted} B vs measured ${measured} B`).toBeLessThanOrEqual(2 * measured)
}

describe('memory accounting: the byte bounds count what entries really hold (measured on the heap)', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let upstream: Upstream
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 61 })
    upstream = createUpstreamClient({ baseUrl: gen.backend.url, timeoutMs: 60_000 })
  })
  afterAll(async () => gen?.cleanup())

  it('MemoryCache: keys, encoded values and entry bookkeeping', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => ({ t: `2024-01-01T00:${i}:00Z`, o: 1.5 + i, v: i }))
    const { held: cache, measured } = await measure(async () => {
      const cache = new MemoryCache({ maxBytes: 1e9 })
      // Flat strings, as JSON.stringify makes them (what the services store).
      for (let i = 0; i < 2000; i++) await cache.set(`hewston:chunk:v2:scope-${i}:AAPL:2024-01`, JSON.stringify({ i, rows }), 60_000)
      return cache
    })
    expectHonest(cache.size, measured)
  })

  it('ChartService: decoded chunks and finished answers, rows and columns', async () => {
    const { held, measured } = await measure(async () => {
      const cache = new MemoryCache({ maxBytes: 1e9 })
      const charts = new ChartService({ upstream, cache, memoryBytes: 1e9, upstreamDecimation: false })
      for (const [i, [from, to]] of [
        ['2024-01-01', '2024-03-31'],
        ['2024-04-01', '2024-06-30'],
        ['2024-07-01', '2024-12-31'],
      ].entries())
        for (const target of ['2000', '5000', '10000'])
          for (const format of ['rows', 'columnar'])
            await charts.getChart(
              parseChartQuery({ symbol: 'AAPL', timeframe: '1M_DECIMATED', from_date: from, to_date: to, target_points: target, format }),
              { scope: `s${i}` },
            )
      await charts.chunks.whenIdle()
      return { charts, cache }
    })
    // Everything held is accounted somewhere: the service's decoded chunks and answers, the port's encoded entries.
    expectHonest(held.charts.bytes + held.cache.size, measured)
  })

  it('RunService: complete-run answers (equity, orders, fills, chart) and authorisations', async () => {
    const { held: accounted, measured } = await measure(async () => {
      const chartCache = new MemoryCache({ maxBytes: 1e9 })
      const runCache = new MemoryCache({ maxBytes: 1e9 })
      const charts = new ChartService({ upstream, cache: chartCache, memoryBytes: 1e9, upstreamDecimation: false })
      const runs = new RunService({ upstream, charts, cache: runCache, memoryBytes: 1e9 })

      for (const run of gen.data.runs)
        for (const points of ['500', '2000'])
          await runs.getComplete(
            run.runId,
            parseRunCompleteQuery(run.runId, { equity_points: points, include_fills: 'true', include_chart: '1H' }).options,
            { scope: 'public' },
          )
      return () => runs.bytes + charts.bytes + chartCache.size + runCache.size
    })
    expectHonest(accounted(), measured)
  })

  it('Timeline: typed arrays and order rows of a pooled run', async () => {
    const { held: loaders, measured } = await measure(async () => {
      const loaders = gen.data.runs.map((r) => new TimelineLoader({ upstream, runId: r.runId }))
      await Promise.all(
        loaders.map(
          (l) =>
            new Promise<void>((resolve) => {
              l.on('status', (s) => (s.state === 'complete' || s.state === 'error') && resolve())
              l.start()
            }),
        ),
      )
      return loaders
    })
    expect(loaders.every((l) => l.status.state === 'complete')).toBe(true)
    expectHonest(
      loaders.reduce((a, l) => a + l.timeline.bytes, 0),
      measured,
    )
  })
})
