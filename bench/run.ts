// `npm run bench [-- <scenario>] [-- --duration <s>]`: starts the reference backend (and, per scenario,
// the BFF and baselines) as separate processes, drives load from another process, prints a table of
// ratios measured in this same run and writes bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ROOT, ensureBuiltAndData, freePort, startNode, stopAll, waitFor } from './lib/processes.js'
import { type ProxyRow, proxyScenario } from './scenarios/proxy.js'

const SCENARIOS = ['proxy'] as const
type Scenario = (typeof SCENARIOS)[number]

const { values, positionals } = parseArgs({ allowPositionals: true, options: { duration: { type: 'string' }, help: { type: 'boolean', short: 'h' } } })
if (values.help) {
  process.stdout.write(`npm run bench [-- <scenario>...] [-- --duration <seconds per measurement, default 3>]\nscenarios: ${SCENARIOS.join(', ')} (default: all)\n`)
  process.exit(0)
}
const wanted = (positionals.length ? positionals : SCENARIOS) as Scenario[]
for (const s of wanted) {
  if (!SCENARIOS.includes(s)) {
    process.stderr.write(`unknown scenario "${s}" (known: ${SCENARIOS.join(', ')})\n`)
    process.exit(2)
  }
}
const durationS = Number(values.duration ?? 3)

const dataDir = ensureBuiltAndData()
const backendPort = await freePort()
startNode(['packages/reference-backend/dist/cli.js', '--root', dataDir, '--port', String(backendPort)])
const backendUrl = `http://127.0.0.1:${backendPort}`
await waitFor(`${backendUrl}/healthz`)
const runs = (await (await fetch(`${backendUrl}/backtests?limit=1`)).json()) as { items: { run_id: string }[] }
const runId = runs.items[0]?.run_id as string

const results: Record<string, unknown> = {
  generated_at: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model, node: process.version, total_mem_gb: Math.round(os.totalmem() / 2 ** 30) },
  duration_s_per_measurement: durationS,
  note: 'Load generator, upstream, BFF and baseline share this machine; compare ratios within one run, not absolute figures across machines.',
  scenarios: {} as Record<string, unknown>,
}

try {
  if (wanted.includes('proxy')) {
    process.stdout.write(`\n== proxy: direct upstream vs BFF vs plain http-proxy-middleware (${durationS}s per measurement)\n`)
    const rows = await proxyScenario({ backendUrl, dataDir, runId, durationS })
    ;(results.scenarios as Record<string, unknown>).proxy = rows
    printProxyTable(rows)
  }
} finally {
  const out = path.join(ROOT, 'bench/results/latest.json')
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
  process.stdout.write(`\nwrote ${path.relative(ROOT, out)}\n`)
  stopAll()
}

function printProxyTable(rows: ProxyRow[]): void {
  const head = ['endpoint', 'conns', 'direct p50', 'BFF p50', '+p50 ms', 'direct p99', 'BFF p99', '+p99 ms', 'BFF rps', 'plain rps', 'BFF/plain', 'BFF/direct']
  const body = rows.map((r) => [
    r.endpoint,
    String(r.connections),
    `${r.direct.p50}`,
    `${r.bff.p50}`,
    `${r.added_p50_ms}`,
    `${r.direct.p99}`,
    `${r.bff.p99}`,
    `${r.added_p99_ms}`,
    `${Math.round(r.bff.rps)}`,
    `${Math.round(r.plain.rps)}`,
    `${r.bff_vs_plain_rps}`,
    `${r.bff_vs_direct_rps}`,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ')
  process.stdout.write(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${body.map(line).join('\n')}\n`)
  process.stdout.write('targets: +p50 <= 1 ms and +p99 <= 3 ms at 50 connections; BFF/plain >= 0.80 (latency in ms)\n')
}
