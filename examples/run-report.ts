// Prints a run's metrics, equity extremes and order count, using @hewston-bff/core's complete-run
// aggregation directly (no BFF server). With --root it reads the run's artifacts and the catalog; without,
// it derives equity and orders from the backend's SSE stream, as the browser does.
//
//   node --import tsx examples/run-report.ts --backend http://127.0.0.1:8000 [--root <hewston dir>] [--run <id>]
//
// Exit codes: 0 done, 1 the backend failed or refused (e.g. RUN_NOT_FOUND), 2 bad usage.
import path from 'node:path'
import { createUpstreamClient, MemoryCache, parseRunCompleteQuery, RunService } from '@hewston-bff/core'
import { FsArtifactSource, SqliteMetricsCatalog } from '@hewston-bff/server'
import { fail, metric, num, parseOptions } from './lib/cli.js'

const values = parseOptions(
  {
    backend: { type: 'string', default: process.env.HEWSTON_BACKEND_URL ?? 'http://127.0.0.1:8000' },
    root: { type: 'string' },
    run: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  'usage: run-report.ts --backend <url> [--root <hewston dir>] [--run <run id>] (default: the newest run)',
)

const backend = values.backend as string
const upstream = createUpstreamClient({ baseUrl: backend })
const root = values.root as string | undefined
const runs = new RunService({
  upstream,
  artifacts: root ? new FsArtifactSource(root) : undefined,
  catalog: root ? new SqliteMetricsCatalog(path.join(root, 'data', 'catalog.sqlite')) : undefined,
  cache: new MemoryCache(),
})

try {
  const runId = (values.run as string | undefined) ?? (await upstream.listBacktests({ limit: 1 })).items[0]?.run_id
  if (!runId) {
    console.error(`the backend at ${backend} has no runs yet: create one (POST /backtests) or generate demo data with \`npm start\``)
    process.exit(1)
  }
  const { options } = parseRunCompleteQuery(runId, { equity_points: '0', include_fills: 'false' })
  const report = await runs.getComplete(runId, options, { scope: 'public' })
  const m = report.metadata
  console.log(
    `run ${report.run.run_id} (${report.run.strategy_id}, ${report.run.status}, ${report.run.run_from ?? '?'}..${report.run.run_to ?? '?'})`,
  )
  const metrics = Object.entries(report.metrics ?? {})
  console.log(`  metrics (${m.sources.metrics ?? 'unavailable'}): ${metrics.map(([k, v]) => `${k} ${metric(k, v)}`).join(', ') || 'none'}`)
  if (report.equity?.length) {
    let lo = report.equity[0]
    let hi = report.equity[0]
    for (const p of report.equity) {
      if (lo && p.value < lo.value) lo = p
      if (hi && p.value > hi.value) hi = p
    }
    console.log(
      `  equity (${m.sources.equity}): ${num(m.equity_total_points, 0)} points, low ${num(lo?.value)} at ${lo?.ts}, high ${num(hi?.value)} at ${hi?.ts}`,
    )
  }
  console.log(`  orders (${m.sources.orders ?? 'unavailable'}): ${num(m.orders_count, 0)}`)
  for (const f of m.failed_sources) console.log(`  failed: ${f.source} ${f.code}: ${f.message}`)
  console.log(`  upstream calls: ${m.upstream_calls}, loaded in ${num(m.load_time_ms, 0)} ms`)
} catch (err) {
  fail(err, { name: 'backend', url: backend, flag: '--backend' })
}
