// `npm run drill`: the fleet drill of docs/deploy.md, end to end on this machine — 3 BFF instances behind
// HAProxy, Redis, the reference backend over the demo data and Prometheus — with a progress log and a
// summary table. Scenarios: instance loss mid-playback, rolling restart under load, the fleet kill switch.
import { execFile } from 'node:child_process'
import path from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { ensureBuiltAndData } from '../bench/lib/processes.js'
import { type Playback, playResuming, runContents, steadyLoad } from './clients.js'
import { Fleet, fleetTools, ROOT, startBackendProcess, waitUntil } from './fleet.js'
import { Prometheus } from './prometheus.js'

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    instances: { type: 'string', default: '3' },
    redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (args.help) {
  process.stdout.write(`npm run drill [-- --clients 50] [-- --instances 3] [-- --redis redis://127.0.0.1:6379]

Starts the reference backend over the demo data (.demo-data, generated if missing), N BFF instances behind
HAProxy sharing Redis, and Prometheus scraping them; then:
  1. instance loss: <clients> playback streams, SIGKILL of one instance, every client resumes with from=
  2. rolling restart: steady HTTP load + 10 streams, SIGTERM and restart of each instance in turn
  3. kill switch: "hewston-bff flags set stream=off" through the CLI, observed on every instance
and prints a summary table. Needs haproxy and prometheus (apt-get install -y haproxy prometheus) and Redis.
`)
  process.exit(0)
}
const CLIENTS = Number(args.clients)
const INSTANCES = Number(args.instances)

const t0 = Date.now()
const log = (msg: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${msg}\n`)
const fail = (msg: string): never => {
  process.stderr.write(`drill: ${msg}\n`)
  process.exit(1)
}

const tools = fleetTools()
if (!tools.haproxy) fail('haproxy not found on PATH: apt-get install -y haproxy')
if (!tools.prometheus) fail('prometheus not found on PATH: apt-get install -y prometheus')
await redisReachable(args.redis as string).catch(() => fail(`Redis not reachable at ${args.redis} (start redis-server or pass --redis)`))

interface Row {
  scenario: string
  failedRequests: string
  resumedStreams: string
  lostOrders: number
  duplicatedOrders: number
  converged: string
  ok: boolean
}
const rows: Row[] = []

log('building (if needed) and generating demo data (if missing)…')
const dataDir = ensureBuiltAndData()
const backendProcess = await startBackendProcess(dataDir)
const backendUrl = backendProcess.url
log(`reference backend on ${backendUrl} (data: ${path.relative(process.cwd(), dataDir) || dataDir})`)

const prefix = `hewston-drill:${process.pid}:`
log(`starting ${INSTANCES} BFF instances and HAProxy (health checks on /readyz)…`)
const fleet = await Fleet.start({ backendUrl, redisUrl: args.redis as string, redisPrefix: prefix, instances: INSTANCES })
log(`HAProxy on ${fleet.url} → ${fleet.instances.map((i) => i.port).join(', ')} (stats: http://127.0.0.1:${fleet.statsPort}/stats)`)
const prometheus = await Prometheus.start(fleet.instances.map((i) => `127.0.0.1:${i.port}`))
process.on('exit', () => void prometheus.stop())

try {
  await waitUntil(
    async () => (await prometheus.targets()).filter((t) => t.health === 'up').length === INSTANCES,
    30_000,
    () => 'Prometheus does not see every instance',
  )
  log(`Prometheus on ${prometheus.url} scrapes all ${INSTANCES} instances`)

  const runs = (await (await fetch(`${backendUrl}/backtests?limit=100`)).json()) as { items: { run_id: string; status: string }[] }
  const runIds = runs.items.filter((r) => r.status === 'DONE').map((r) => r.run_id)
  const runId = runIds[0] ?? fail('the demo data has no finished run')
  const want = await runContents(backendUrl, runId)
  log(`playing run ${runId}: ${want.frames} frames, ${want.orders.length} orders`)

  // 1. Instance loss mid-playback.
  {
    log(`1/3 instance loss: ${CLIENTS} playback clients through HAProxy…`)
    const clients = Array.from({ length: CLIENTS }, (_, i) =>
      playResuming(
        fleet.url.replace('http', 'ws'),
        runId,
        { fps: '30', speed: '40' },
        { headers: { authorization: `Bearer drill-${i % 5}` } },
      ),
    )
    await waitUntil(
      async () => (await Promise.all(fleet.instances.map(playbackStreams))).reduce((a, b) => a + b, 0) >= CLIENTS,
      30_000,
      () => 'the clients did not all connect',
    )
    const held = await Promise.all(fleet.instances.map(playbackStreams))
    log(`    streams per instance: ${held.map((n, i) => `bff${i} ${n}`).join(', ')}`)
    await sleep(1000)
    const killedAt = Date.now()
    await fleet.kill(0)
    log(`    SIGKILL bff0 (holding ${held[0]} streams); waiting for every client to finish the run…`)
    const results = await Promise.all(clients.map((c) => c.done))
    const row = judgeStreams('instance loss (SIGKILL)', results, want, killedAt)
    row.failedRequests = '–'
    rows.push(row)
    log(`    ${row.resumedStreams} streams resumed on survivors, converged in ${row.converged}`)
    log('    restarting bff0…')
    await fleet.start(0)
  }

  // 2. Rolling restart under load.
  {
    log('2/3 rolling restart: steady HTTP load (8 in flight) + 10 streams; SIGTERM and restart each instance in turn…')
    const load = steadyLoad(fleet.url, runIds.slice(0, 5), 8)
    const streams = Array.from({ length: 10 }, (_, i) =>
      playResuming(fleet.url.replace('http', 'ws'), runId, { fps: '30', speed: '25' }, { headers: { authorization: `Bearer roll-${i}` } }),
    )
    await sleep(1000)
    const started = Date.now()
    for (const inst of fleet.instances) {
      const t = Date.now()
      const code = await fleet.terminate(inst.index)
      await fleet.start(inst.index)
      log(`    bff${inst.index}: exited ${code} after draining, back in rotation in ${((Date.now() - t) / 1000).toFixed(1)} s`)
    }
    const total = ((Date.now() - started) / 1000).toFixed(1)
    const http = await load.stop()
    const results = await Promise.all(streams.map((s) => s.done))
    const row = judgeStreams('rolling restart (SIGTERM)', results, want, undefined)
    row.failedRequests = `${http.failed} of ${http.requests}`
    row.converged = `${total} s (all ${fleet.instances.length})`
    row.ok &&= http.failed === 0
    for (const f of http.failures) log(`    failed: ${f}`)
    rows.push(row)
    log(`    ${http.requests} requests, ${http.failed} failed`)
  }

  // 3. The kill switch.
  {
    log('3/3 kill switch: hewston-bff flags set stream=off (Redis)…')
    const cli = (...a: string[]) =>
      promisify(execFile)(process.execPath, [
        path.join(ROOT, 'packages/server/dist/cli.js'),
        'flags',
        ...a,
        '--redis',
        args.redis as string,
        '--redis-prefix',
        prefix,
      ])
    const set = Date.now()
    await cli('set', 'stream=off')
    const streamOff = async () =>
      (
        await Promise.all(
          fleet.instances.map(
            async (i) => ((await (await fetch(`${i.url}/api/v1/flags`)).json()) as { flags: { stream: boolean } }).flags.stream,
          ),
        )
      ).every((on) => !on)
    await waitUntil(streamOff, 10_000, () => 'not every instance serves stream=off')
    const ms = Date.now() - set
    log(`    every instance serves stream=off ${ms} ms after the CLI call`)
    await cli('clear')
    rows.push({
      scenario: 'kill switch (flags set)',
      failedRequests: '–',
      resumedStreams: '–',
      lostOrders: 0,
      duplicatedOrders: 0,
      converged: `${ms} ms`,
      ok: true,
    })
  }

  const targets = await prometheus.targets()
  log(
    `Prometheus: ${targets.filter((t) => t.health === 'up').length} of ${INSTANCES} targets up; firing alerts: ${(await prometheus.query('ALERTS{alertstate="firing"}')).map((a) => a.metric.alertname).join(', ') || 'none'}`,
  )
} finally {
  await prometheus.stop()
  await fleet.stop()
  await backendProcess.stop()
}

printTable(rows)
process.exit(rows.every((r) => r.ok) ? 0 : 1)

function judgeStreams(scenario: string, results: Playback[], want: { frames: number; orders: string[] }, since: number | undefined): Row {
  let lost = 0
  let duplicated = 0
  let ok = true
  for (const r of results) {
    const got = new Set(r.orders)
    lost += want.orders.filter((o) => !got.has(o)).length
    duplicated += r.orders.length - got.size
    ok &&= r.ended && r.ordered && r.frames + r.dropped === want.frames && JSON.stringify(r.orders) === JSON.stringify(want.orders)
  }
  const resumed = results.filter((r) => r.resumes > 0)
  const back = resumed.map((r) => r.resumedAt ?? Number.NaN)
  const converged = since !== undefined && back.length > 0 ? `${((Math.max(...back) - since) / 1000).toFixed(1)} s` : '–'
  return {
    scenario,
    failedRequests: '–',
    resumedStreams: `${resumed.length} of ${results.length}`,
    lostOrders: lost,
    duplicatedOrders: duplicated,
    converged,
    ok: ok && lost === 0 && duplicated === 0,
  }
}

function printTable(table: Row[]): void {
  const head = ['scenario', 'failed requests', 'resumed streams', 'lost orders', 'duplicated orders', 'time to converge', 'result']
  const body = table.map((r) => [
    r.scenario,
    r.failedRequests,
    r.resumedStreams,
    String(r.lostOrders),
    String(r.duplicatedOrders),
    r.converged,
    r.ok ? 'PASS' : 'FAIL',
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`
  process.stdout.write(`\n${line(head)}\n| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |\n${body.map(line).join('\n')}\n`)
}

/** Open playback streams of one instance, from its /metrics. */
async function playbackStreams(inst: { url: string }): Promise<number> {
  const text = await (await fetch(`${inst.url}/metrics`)).text()
  return Number(/hewston_bff_ws_connections\{kind="playback"\} (\d+)/.exec(text)?.[1] ?? 0)
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

async function redisReachable(url: string): Promise<void> {
  const { Redis } = await import('ioredis')
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 })
  try {
    await redis.connect()
    await redis.ping()
  } finally {
    redis.disconnect()
  }
}
