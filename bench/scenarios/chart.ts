import { gzipSync } from 'node:zlib'
import { bucketOhlc, chooseBucket, toColumnar } from '@hewston-bff/core'
import { type LoadFigures, load, percentile, timed } from '../lib/measure.js'
import { freePort, startNode, waitFor } from '../lib/processes.js'

export interface ChartBench {
  range: string
  upstream_decimated_ms: { p50: number; p90: number }
  /** The upstream's decimation at the BFF's resolution (stride 15), same range. */
  upstream_same_resolution_ms: { p50: number; p90: number }
  cold_ms: { p50: number; p90: number }
  cold_vs_upstream: number
  cold_vs_upstream_same_resolution: number
  warm: { connections: number; bff: LoadFigures; upstream: LoadFigures; speedup_p50: number }[]
  concurrent_cold: { requests: number; chunks: number; upstream_calls: number; wall_ms: number }
  bytes: {
    bff_gzip: number
    bff_raw: number
    upstream_minute_raw: number
    upstream_minute_gzip: number
    ratio_vs_raw: number
    ratio_vs_gzip: number
  }
  decimation_ms: { bars: number; p50: number; max: number }
}

const pct = percentile

async function waitForChunkFills(bff: string, atLeast: number): Promise<void> {
  for (let i = 0; i < 400 && (await chunkFetches(bff)) < atLeast; i++) await new Promise((r) => setTimeout(r, 25))
}

async function chunkFetches(bff: string): Promise<number> {
  const text = await (await fetch(`${bff}/metrics`)).text()
  return [...text.matchAll(/^hewston_bff_chart_chunks_total\{kind="minute",result="fetch"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
}

/**
 * Chart data: one year of 1M_DECIMATED at 10 000 points through the BFF, cold (a fresh credential scope
 * per request, so nothing is cached) and warm, against the upstream's own `/bars/minute_decimated` for
 * the same range; 200 concurrent identical cold requests; bytes on the wire; decimation cost.
 */
export async function chartScenario(ctx: { backendUrl: string; dataDir: string; durationS: number }): Promise<ChartBench> {
  const port = await freePort()
  startNode(['packages/server/dist/cli.js', '--backend', ctx.backendUrl, '--port', String(port), '--log-level', 'warn'])
  const bff = `http://127.0.0.1:${port}`
  await waitFor(`${bff}/health`)
  const range = 'from_date=2024-01-01&to_date=2024-12-31'
  const chartUrl = `${bff}/api/v1/chart-data?symbol=AAPL&timeframe=1M_DECIMATED&${range}&target_points=10000`
  const upstreamUrl = `${ctx.backendUrl}/bars/minute_decimated?symbol=AAPL&from=2024-01-01&to=2024-12-31`

  // The upstream's decimation at the resolution the BFF answers with (stride 15 for this year at 10 000
  // points), next to its default answer (stride 60, 1/4 of the points).
  const sameResolutionUrl = `${upstreamUrl}&target=35135`
  await timed(upstreamUrl)
  await timed(sameResolutionUrl)
  const upstream: number[] = []
  const upstreamSame: number[] = []
  const cold: number[] = []
  for (let i = 0; i < 15; i++) {
    upstream.push(await timed(upstreamUrl))
    upstreamSame.push(await timed(sameResolutionUrl))
    const fetchesBefore = await chunkFetches(bff)
    cold.push(await timed(chartUrl, { authorization: `Bearer bench-cold-${i}-${Date.now()}` }))
    // The month chunks are filled behind each cold answer: let that finish before the next measurement.
    await waitForChunkFills(bff, fetchesBefore + 12)
  }
  process.stdout.write(
    `  cold p50 ${pct(cold, 50)} ms vs upstream minute_decimated p50 ${pct(upstream, 50)} ms (default), ${pct(upstreamSame, 50)} ms (same resolution)\n`,
  )

  await timed(chartUrl)
  await waitForChunkFills(bff, (await chunkFetches(bff)) + 12)
  const warm: ChartBench['warm'] = []
  for (const connections of [1, 10]) {
    const w = await load(chartUrl, connections, ctx.durationS)
    const u = await load(upstreamUrl, connections, ctx.durationS)
    warm.push({ connections, bff: w, upstream: u, speedup_p50: Math.round((u.p50 / Math.max(w.p50, 0.5)) * 10) / 10 })
    process.stdout.write(
      `  warm c=${connections}: bff p50 ${w.p50} ms ${Math.round(w.rps)}/s vs upstream p50 ${u.p50} ms ${Math.round(u.rps)}/s\n`,
    )
  }

  const before = await chunkFetches(bff)
  const t0 = performance.now()
  const auth = { authorization: `Bearer bench-herd-${Date.now()}` }
  const herd = await Promise.all(Array.from({ length: 200 }, () => fetch(chartUrl, { headers: auth }).then((r) => r.arrayBuffer())))
  const wall = performance.now() - t0
  const calls = (await chunkFetches(bff)) - before
  process.stdout.write(
    `  200 concurrent cold identical requests: ${calls} upstream calls for 12 chunks in ${Math.round(wall)} ms (${herd.length} answers)\n`,
  )

  const bffRaw = Buffer.from(await (await fetch(chartUrl)).arrayBuffer())
  const minuteRaw = Buffer.from(
    await (await fetch(`${ctx.backendUrl}/bars/minute?symbol=AAPL&from=2024-01-01&to=2024-12-31`)).arrayBuffer(),
  )
  const bytes = {
    bff_raw: bffRaw.length,
    bff_gzip: gzipSync(bffRaw).length,
    upstream_minute_raw: minuteRaw.length,
    upstream_minute_gzip: gzipSync(minuteRaw).length,
    ratio_vs_raw: 0,
    ratio_vs_gzip: 0,
  }
  bytes.ratio_vs_raw = Math.round((bytes.bff_gzip / bytes.upstream_minute_raw) * 1000) / 1000
  bytes.ratio_vs_gzip = Math.round((bytes.bff_gzip / bytes.upstream_minute_gzip) * 1000) / 1000

  // Decimation of one year of minute bars, in process (the aggregation itself, no I/O).
  const minute = JSON.parse(minuteRaw.toString()) as { bars: { t: string; o: number; h: number; l: number; c: number; v: number }[] }
  const cols = toColumnar(minute.bars)
  const times: number[] = []
  for (let i = 0; i < 30; i++) {
    const t = performance.now()
    const { bucket } = chooseBucket(cols, 10_000, 1)
    bucketOhlc(cols, bucket)
    times.push(performance.now() - t)
  }
  return {
    range: 'AAPL 2024-01-01..2024-12-31, 1M_DECIMATED, target 10000',
    upstream_decimated_ms: { p50: pct(upstream, 50), p90: pct(upstream, 90) },
    upstream_same_resolution_ms: { p50: pct(upstreamSame, 50), p90: pct(upstreamSame, 90) },
    cold_vs_upstream_same_resolution: Math.round((pct(cold, 50) / pct(upstreamSame, 50)) * 100) / 100,
    cold_ms: { p50: pct(cold, 50), p90: pct(cold, 90) },
    cold_vs_upstream: Math.round((pct(cold, 50) / pct(upstream, 50)) * 100) / 100,
    warm,
    concurrent_cold: { requests: 200, chunks: 12, upstream_calls: calls, wall_ms: Math.round(wall) },
    bytes,
    decimation_ms: { bars: cols.t.length, p50: pct(times.slice(5), 50), max: pct(times.slice(5), 100) },
  }
}
