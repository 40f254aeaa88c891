import { type LoadFigures, load, percentile, timed } from '../lib/measure.js'
import { freePort, startNode, waitFor } from '../lib/processes.js'

export interface RunsBench {
  run_id: string
  legacy_ms: { detail_p50: number; stream_p50: number; sum_p50: number }
  cold_ms: { with_root_p50: number; without_root_p50: number }
  cold_vs_legacy: { with_root: number; without_root: number }
  warm: LoadFigures
  /** Warm answers when the upstream takes 50 ms per request (reference backend --latency-ms 50): target p50 ≤ 5 ms. */
  warm_slow_upstream: LoadFigures
  concurrent: { requests: number; run_detail_calls: number; stream_reads: number; wall_ms: number }
}

const p50 = (xs: number[]) => percentile(xs, 50)

async function counter(bff: string, kind: string): Promise<number> {
  const text = await (await fetch(`${bff}/metrics`)).text()
  return Number(new RegExp(`^hewston_bff_run_upstream_calls_total\\{kind="${kind}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? 0)
}

/**
 * Complete run data: one BFF request vs the calls a frontend makes today to show the same page (the run
 * detail plus the whole SSE stream, the only upstream source of equity and orders), cold and warm, and
 * 100 concurrent requests for one run.
 */
export async function runsScenario(ctx: { backendUrl: string; dataDir: string; durationS: number }): Promise<RunsBench> {
  const [rootPort, plainPort] = [await freePort(), await freePort()]
  startNode([
    'packages/server/dist/cli.js',
    '--backend',
    ctx.backendUrl,
    '--port',
    String(rootPort),
    '--root',
    ctx.dataDir,
    '--log-level',
    'warn',
  ])
  startNode(['packages/server/dist/cli.js', '--backend', ctx.backendUrl, '--port', String(plainPort), '--log-level', 'warn'])
  const withRoot = `http://127.0.0.1:${rootPort}`
  const noRoot = `http://127.0.0.1:${plainPort}`
  await waitFor(`${withRoot}/health`)
  await waitFor(`${noRoot}/health`)
  const list = (await (await fetch(`${ctx.backendUrl}/backtests?limit=100`)).json()) as { items: { run_id: string; run_from: string }[] }
  const run = list.items.find((r) => r.run_from.endsWith('-10-01')) ?? list.items[0]
  const runId = run?.run_id as string

  const detail: number[] = []
  const stream: number[] = []
  const cold: number[] = []
  const coldNoRoot: number[] = []
  const complete = (base: string) => `${base}/api/v1/runs/${runId}/complete`
  await timed(`${ctx.backendUrl}/backtests/${runId}/stream`)
  for (let i = 0; i < 7; i++) {
    detail.push(await timed(`${ctx.backendUrl}/backtests/${runId}`))
    stream.push(await timed(`${ctx.backendUrl}/backtests/${runId}/stream`))
    cold.push(await timed(complete(withRoot), { authorization: `Bearer cold-${i}-${Date.now()}` }))
    coldNoRoot.push(await timed(complete(noRoot), { authorization: `Bearer cold-${i}-${Date.now()}` }))
  }
  const legacySum = p50(detail) + p50(stream)
  process.stdout.write(
    `  legacy detail+stream ${Math.round(legacySum)} ms; BFF cold with --root ${p50(cold)} ms, without ${p50(coldNoRoot)} ms\n`,
  )

  await timed(complete(withRoot))
  const warm = await load(complete(withRoot), 1, ctx.durationS)
  process.stdout.write(`  warm p50 ${warm.p50} ms, ${Math.round(warm.rps)}/s\n`)

  // A slow upstream (50 ms per answer): warm answers must not wait on it (--run-auth-ttl-s).
  const [slowBackendPort, slowBffPort] = [await freePort(), await freePort()]
  startNode(['packages/reference-backend/dist/cli.js', '--root', ctx.dataDir, '--port', String(slowBackendPort), '--latency-ms', '50'])
  const slowBackend = `http://127.0.0.1:${slowBackendPort}`
  await waitFor(`${slowBackend}/healthz`)
  startNode([
    'packages/server/dist/cli.js',
    '--backend',
    slowBackend,
    '--port',
    String(slowBffPort),
    '--root',
    ctx.dataDir,
    '--log-level',
    'warn',
  ])
  const slowBff = `http://127.0.0.1:${slowBffPort}`
  await waitFor(`${slowBff}/health`)
  await timed(complete(slowBff))
  const warmSlow = await load(complete(slowBff), 1, ctx.durationS)
  process.stdout.write(`  warm p50 with a 50 ms upstream: ${warmSlow.p50} ms, ${Math.round(warmSlow.rps)}/s\n`)

  const [runBefore, streamBefore] = [await counter(noRoot, 'run'), await counter(noRoot, 'stream')]
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: 100 }, () => fetch(complete(noRoot), { headers: { authorization: 'Bearer herd' } }).then((r) => r.arrayBuffer())),
  )
  const wall = performance.now() - t0
  const concurrent = {
    requests: 100,
    run_detail_calls: (await counter(noRoot, 'run')) - runBefore,
    stream_reads: (await counter(noRoot, 'stream')) - streamBefore,
    wall_ms: Math.round(wall),
  }
  process.stdout.write(
    `  100 concurrent: ${concurrent.run_detail_calls} run-detail calls, ${concurrent.stream_reads} stream reads, ${concurrent.wall_ms} ms\n`,
  )
  return {
    run_id: runId,
    legacy_ms: { detail_p50: p50(detail), stream_p50: p50(stream), sum_p50: Math.round(legacySum * 100) / 100 },
    cold_ms: { with_root_p50: p50(cold), without_root_p50: p50(coldNoRoot) },
    cold_vs_legacy: {
      with_root: Math.round((p50(cold) / legacySum) * 100) / 100,
      without_root: Math.round((p50(coldNoRoot) / legacySum) * 100) / 100,
    },
    warm,
    warm_slow_upstream: warmSlow,
    concurrent,
  }
}
