// Prints a run's metrics, equity extremes and order count, using @hewston-bff/core's complete-run
// aggregation directly (no BFF server). With --root it reads the run's artifacts and the catalog; without,
// it derives equity and orders from the backend's SSE stream, as the browser does.
//
//   node --import tsx examples/run-report.ts --backend http://127.0.0.1:8000 [--root <hewston dir>] [--run <id>]
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createUpstreamClient, isBffError, MemoryCache, parseRunCompleteQuery, RunService } from '@hewston-bff/core'
import { FsArtifactSource, SqliteMetricsCatalog } from '@hewston-bff/server'

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: process.env.HEWSTON_BACKEND_URL ?? 'http://127.0.0.1:8000' },
    root: { type: 'string' },
    run: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  console.log('usage: run-report.ts --backend <url> [--root <hewston dir>] [--run <run id>] (default: the newest run)')
  process.exit(0)
}

const backend = values.backend as string
const upstream = createUpstreamClient({ baseUrl: backend })
const root = values.root
const runs = new RunService({
  upstream,
  artifacts: root ? new FsArtifactSource(root) : undefined,
  catalog: root ? new SqliteMetricsCatalog(path.join(root, 'data', 'catalog.sqlite')) : undefined,
  cache: new MemoryCache(),
})

try {
  const runId = values.run ?? (await upstream.listBacktests({ limit: 1 })).items[0]?.run_id
  if (!runId) throw new Error('the backend has no runs')
  const { options } = parseRunCompleteQuery(runId, { equity_points: '0', include_fills: 'false' })
  const report = await runs.getComplete(runId, options, { scope: 'public' })
  const m = report.metadata
  console.log(
    `run ${report.run.run_id} (${report.run.strategy_id}, ${report.run.status}, ${report.run.run_from ?? '?'}..${report.run.run_to ?? '?'})`,
  )
  console.log(`  metrics (${m.sources.metrics ?? 'unavailable'}): ${JSON.stringify(report.metrics)}`)
  if (report.equity?.length) {
    let lo = report.equity[0]
    let hi = report.equity[0]
    for (const p of report.equity) {
      if (lo && p.value < lo.value) lo = p
      if (hi && p.value > hi.value) hi = p
    }
    console.log(
      `  equity (${m.sources.equity}): ${m.equity_total_points} points, low ${lo?.value} at ${lo?.ts}, high ${hi?.value} at ${hi?.ts}`,
    )
  }
  console.log(`  orders (${m.sources.orders ?? 'unavailable'}): ${m.orders_count}`)
  for (const f of m.failed_sources) console.log(`  failed: ${f.source} ${f.code}: ${f.message}`)
  console.log(`  upstream calls: ${m.upstream_calls}, loaded in ${m.load_time_ms} ms`)
} catch (err) {
  console.error(isBffError(err) ? `${err.code}: ${err.message}` : (err as Error).message)
  process.exit(1)
}
