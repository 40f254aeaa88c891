// `npm run bench [-- <scenario>] [-- --duration <s>]`: starts the reference backend (and, per scenario,
// the BFF and baselines) as separate processes, drives load from another process, prints a table of
// ratios measured in this same run and writes bench/results/latest.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { ensureBuiltAndData, freePort, ROOT, startNode, stopAll, waitFor } from './lib/processes.js'
import { type ChartBench, chartScenario } from './scenarios/chart.js'
import { type ProxyBench, proxyScenario } from './scenarios/proxy.js'
import { type ResilienceBench, resilienceScenario } from './scenarios/resilience.js'
import { type RunsBench, runsScenario } from './scenarios/runs.js'
import { soakScenario } from './scenarios/soak.js'
import { type StreamBench, streamScenario } from './scenarios/stream.js'

const SCENARIOS = ['proxy', 'chart', 'runs', 'stream', 'resilience', 'soak'] as const
type Scenario = (typeof SCENARIOS)[number]
/** What runs without naming scenarios: all but the long soak. */
const DEFAULT_SCENARIOS: Scenario[] = ['proxy', 'chart', 'runs', 'stream', 'resilience']

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string' },
    'cpu-prof': { type: 'boolean' },
    'bff-cli': { type: 'string' },
    'cache-max-mb': { type: 'string' },
    'stream-pool-mb': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  process.stdout.write(
    `npm run bench [-- <scenario>...] [-- --duration <seconds per measurement, default 3>] [-- --cpu-prof]\n` +
      `scenarios: ${SCENARIOS.join(', ')} (default: all)\n` +
      '--cpu-prof: profile the BFF during the proxy scenario (bench/results/profiles/*.cpuprofile)\n' +
      '--bff-cli <path>: run the resilience scenario against another build of the BFF CLI (before/after comparisons)\n',
  )
  process.exit(0)
}
const wanted = (positionals.length ? positionals : DEFAULT_SCENARIOS) as Scenario[]
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

/** Each scenario's figures, stamped with when they were measured. */
const scenarios: Record<string, unknown> = {}
const record = (name: Scenario, figures: object) => {
  scenarios[name] = { measured_at: new Date().toISOString(), ...figures }
}
const results: Record<string, unknown> = {
  generated_at: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model,
    node: process.version,
    total_mem_gb: Math.round(os.totalmem() / 2 ** 30),
  },
  duration_s_per_measurement: durationS,
  note: 'Load generator, upstream, BFF and baseline share this machine; compare ratios within one run, not absolute figures across machines.',
  scenarios,
}

try {
  if (wanted.includes('proxy')) {
    process.stdout.write(`\n== proxy: direct upstream vs BFF vs plain http-proxy-middleware vs nginx (${durationS}s per measurement)\n`)
    const proxy = await proxyScenario({ backendUrl, dataDir, runId, durationS, cpuProf: values['cpu-prof'] === true })
    record('proxy', proxy)
    printProxyTable(proxy)
  }
  if (wanted.includes('chart')) {
    process.stdout.write(`\n== chart: /api/v1/chart-data vs the upstream's own endpoints\n`)
    const chart = await chartScenario({ backendUrl, dataDir, durationS })
    record('chart', chart)
    printChart(chart)
  }
  if (wanted.includes('runs')) {
    process.stdout.write(`\n== runs: /api/v1/runs/{id}/complete vs the calls a frontend makes today\n`)
    const runs = await runsScenario({ backendUrl, dataDir, durationS })
    record('runs', runs)
    printRuns(runs)
  }
  if (wanted.includes('stream')) {
    process.stdout.write(`\n== stream: paced playback through the BFF vs the upstream's own WebSocket\n`)
    const stream = await streamScenario({ backendUrl, dataDir })
    record('stream', stream)
    printStream(stream)
  }
  if (wanted.includes('resilience')) {
    process.stdout.write(`\n== resilience: first frames, upstream kills and restarts during playback\n`)
    const resilience = await resilienceScenario({ dataDir, bffCli: values['bff-cli'] })
    record('resilience', resilience)
    printResilience(resilience)
  }
  if (wanted.includes('soak')) {
    const soakS = Number(values.duration ?? 600)
    process.stdout.write(`\n== soak: ${soakS} s of mixed load and 50 paced streams, memory sampled every 10 s\n`)
    // The deployed configuration by default (NODE_OPTIONS from `hewston-bff node-options`); set
    // HEWSTON_BENCH_BFF_NODE_OPTIONS to try others ('' for V8's defaults).
    const soak = await soakScenario({
      dataDir,
      durationS: soakS,
      cacheMaxMb: values['cache-max-mb'] ? Number(values['cache-max-mb']) : undefined,
      streamPoolMb: values['stream-pool-mb'] ? Number(values['stream-pool-mb']) : undefined,
      nodeOptions: process.env.HEWSTON_BENCH_BFF_NODE_OPTIONS,
      onSample: (x) =>
        process.stdout.write(
          `  ${String(x.t_s).padStart(4)} s  RSS ${x.rss_mb} MB  heap ${x.heap_used_mb}/${x.heap_total_mb} MB  external ${x.external_mb} MB  FDs ${x.fds}  accounted ${JSON.stringify(x.accounted_mb)}  requests ${x.requests} (${x.errors} 5xx)  streams ${x.streams_open} open, ${x.streams_done} done\n`,
        ),
    })
    record('soak', soak)
    printRows([
      [
        `RSS over ${soak.duration_s} s (max / bound)`,
        `${soak.rss_max_mb} MB / ${soak.rss_bound_mb} MB`,
        `${soak.within_bound ? 'within' : 'OVER'} (cache ${soak.config.cache_max_mb} + pool ${soak.config.stream_pool_mb} + 150 MB)`,
      ],
      ['BFF NODE_OPTIONS', soak.config.node_options || "(none: V8's defaults)", ''],
      ['RSS drift, middle third → last third', `${soak.rss_drift_mb} MB`, 'flat after warm-up ≈ 0'],
      ['open FDs (min / max)', `${soak.fds_min} / ${soak.fds_max}`, ''],
      [
        'load',
        `${soak.requests} requests, ${soak.errors_5xx} 5xx`,
        `${soak.streams_completed} streams played, ${soak.streams_refused} refused (pool full)`,
      ],
    ])
  }
} finally {
  const out = path.join(ROOT, 'bench/results/latest.json')
  mkdirSync(path.dirname(out), { recursive: true })
  // Scenarios not run this time keep their last figures (each carries its own measured_at).
  try {
    const previous = JSON.parse(readFileSync(out, 'utf8')) as { scenarios?: Record<string, unknown> }
    for (const [name, figures] of Object.entries(previous.scenarios ?? {})) if (!(name in scenarios)) scenarios[name] = figures
  } catch {
    // No earlier results (or unreadable ones): this run's figures stand alone.
  }
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`)
  process.stdout.write(`\nwrote ${path.relative(ROOT, out)}\n`)
  stopAll()
}

function printProxyTable(bench: ProxyBench): void {
  const head = [
    'endpoint',
    'conns',
    'direct rps',
    'BFF rps',
    'plain rps',
    'nginx rps',
    'BFF/nginx',
    'BFF/direct',
    'BFF/plain',
    'direct p99',
    'BFF p99',
    'nginx p99',
    'p99 BFF/nginx',
  ]
  const body = bench.rows.map((r) => [
    r.endpoint,
    String(r.connections),
    `${Math.round(r.direct.rps)}`,
    `${Math.round(r.bff.rps)}`,
    `${Math.round(r.plain.rps)}`,
    r.nginx ? `${Math.round(r.nginx.rps)}` : '-',
    `${r.bff_vs_nginx_rps ?? '-'}`,
    `${r.bff_vs_direct_rps}`,
    `${r.bff_vs_plain_rps}`,
    `${r.direct.p99}`,
    `${r.bff.p99}`,
    r.nginx ? `${r.nginx.p99}` : '-',
    `${r.bff_vs_nginx_p99 ?? '-'}`,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)))
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] as number)).join('  ')
  process.stdout.write(`\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${body.map(line).join('\n')}\n`)
  process.stdout.write(
    'targets (GET /backtests/{id}, 50 connections): BFF/nginx rps >= 0.9, p99 BFF/nginx <= 1.3; BFF/plain >= 0.80 (latency in ms)\n',
  )
}

function printChart(c: ChartBench): void {
  const w1 = c.warm.find((w) => w.connections === 1)
  const rows: [string, string, string][] = [
    [
      'cold p50 (ms), BFF vs upstream decimation (default)',
      `${c.cold_ms.p50} vs ${c.upstream_decimated_ms.p50}`,
      `${c.cold_vs_upstream}× (target ≤ 1.5×)`,
    ],
    [
      'cold p50 (ms), BFF vs upstream decimation (same resolution)',
      `${c.cold_ms.p50} vs ${c.upstream_same_resolution_ms.p50}`,
      `${c.cold_vs_upstream_same_resolution}×`,
    ],
    ['warm p50 (ms), 1 connection', `${w1?.bff.p50} vs ${w1?.upstream.p50}`, `${w1?.speedup_p50}× faster (target ≤ 3 ms)`],
    ...c.warm.map((w): [string, string, string] => [
      `warm rps, ${w.connections} connections`,
      `${Math.round(w.bff.rps)} vs ${Math.round(w.upstream.rps)}`,
      `${Math.round((w.bff.rps / w.upstream.rps) * 10) / 10}×`,
    ]),
    [
      '200 concurrent identical cold requests',
      `${c.concurrent_cold.upstream_calls} upstream calls`,
      `for ${c.concurrent_cold.chunks} chunks (${c.concurrent_cold.wall_ms} ms)`,
    ],
    [
      'bytes: BFF gzip vs upstream /bars/minute',
      `${c.bytes.bff_gzip} vs ${c.bytes.upstream_minute_raw} (gzip ${c.bytes.upstream_minute_gzip})`,
      `${c.bytes.ratio_vs_raw} of raw, ${c.bytes.ratio_vs_gzip} of gzip`,
    ],
    [`decimation of ${c.decimation_ms.bars} minute bars`, `p50 ${c.decimation_ms.p50} ms`, `max ${c.decimation_ms.max} ms (target < 5 ms)`],
  ]
  printRows(rows)
}

function printRuns(r: RunsBench): void {
  const rows: [string, string, string][] = [
    ['legacy: run detail + full SSE stream (p50 ms)', `${r.legacy_ms.detail_p50} + ${r.legacy_ms.stream_p50} = ${r.legacy_ms.sum_p50}`, ''],
    ['BFF cold complete with --root (p50 ms)', `${r.cold_ms.with_root_p50}`, `${r.cold_vs_legacy.with_root}× the legacy calls`],
    ['BFF cold complete without --root (p50 ms)', `${r.cold_ms.without_root_p50}`, `${r.cold_vs_legacy.without_root}× the legacy calls`],
    ['BFF warm complete, 1 connection (p50 ms)', `${r.warm.p50}`, `${Math.round(r.warm.rps)}/s (target p50 ≤ 5 ms)`],
    [
      'BFF warm complete, upstream at +50 ms (p50 ms)',
      `${r.warm_slow_upstream.p50}`,
      `${Math.round(r.warm_slow_upstream.rps)}/s (target p50 ≤ 5 ms)`,
    ],
    [
      '100 concurrent requests for one run',
      `${r.concurrent.run_detail_calls} run-detail calls, ${r.concurrent.stream_reads} stream reads`,
      `${r.concurrent.wall_ms} ms`,
    ],
  ]
  printRows(rows)
}

function printStream(s: StreamBench): void {
  const u = s.upstream_work
  const rows: [string, string, string][] = [
    [
      `upstream frames for 50 clients (run of ${s.run.frames} frames)`,
      `BFF ${u.bff.upstream_frames} vs direct ${u.direct.upstream_frames}`,
      `${Math.round(u.direct.upstream_frames / Math.max(1, u.bff.upstream_frames))}× less upstream work`,
    ],
    [
      'upstream /healthz meanwhile (p50 / max ms)',
      `BFF ${u.bff.healthz_p50_ms} / ${u.bff.healthz_max_ms} vs direct ${u.direct.healthz_p50_ms} / ${u.direct.healthz_max_ms}`,
      '',
    ],
    ...s.paced.map((p): [string, string, string] => [
      `${p.clients} paced clients at 30 fps`,
      `fps min ${p.fps_min}, median ${p.fps_median}; p99 delay ${p.delay_p99_ms} ms`,
      `BFF CPU ${p.bff_cpu_pct}%, RSS ${p.bff_rss_mb} MB (${p.rss_per_client_kb} KB/client); ${p.completed}/${p.clients} completed`,
    ]),
    [
      'WS relay round trip p99 (ms)',
      `BFF ${s.relay_rtt_ms.bff_p99} vs direct ${s.relay_rtt_ms.direct_p99}`,
      `+${s.relay_rtt_ms.added_p99} ms (target ≤ 2 ms)`,
    ],
    [
      `buffered timeline, ${s.timeline_memory.frames} frames`,
      `${s.timeline_memory.timeline_bytes} B vs ${s.timeline_memory.wire_bytes} B wire`,
      `${s.timeline_memory.ratio}× (target ≤ 2×)`,
    ],
  ]
  printRows(rows)
  process.stdout.write('targets: 1000 clients at >= 29 fps each with p99 schedule delay <= 20 ms on 2 cores\n')
}

function printResilience(r: ResilienceBench): void {
  const f = r.first_frame_ms
  const rows: [string, string, string][] = [
    ['first frame, second client of a pooled run (ms)', `p50 ${f.pooled.p50}, p99 ${f.pooled.p99}`, '(target ≤ 50 ms)'],
    [
      'first frame, cold (ms)',
      `p50 ${f.cold.p50}, p99 ${f.cold.p99}`,
      `upstream SSE first frame p50 ${f.upstream_sse.p50}, p99 ${f.upstream_sse.p99}`,
    ],
    ...r.kills.variants.map((v): [string, string, string] => [
      `stall over ${r.kills.kills} upstream kills (${v.variant})`,
      `${v.stall_ms} ms, longest gap ${v.longest_gap_ms} ms`,
      `${v.complete && v.every_frame && v.every_order ? 'every frame and order' : 'INCOMPLETE'}; ${v.upstream_stream_requests} upstream stream reads`,
    ]),
    [
      `sessions without every frame, ${r.reliability.restarts} upstream restarts`,
      `direct ${r.reliability.direct.failed}/${r.reliability.direct.clients} vs BFF ${r.reliability.bff.failed}/${r.reliability.bff.clients}`,
      '(target: none through the BFF)',
    ],
  ]
  printRows(rows)
}

/** A three-column table: label, figures, comment. */
function printRows(rows: [string, string, string][]): void {
  const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))]
  process.stdout.write(`\n${rows.map((r) => `${r[0].padEnd(w[0] as number)}  ${r[1].padEnd(w[1] as number)}  ${r[2]}`).join('\n')}\n`)
}
