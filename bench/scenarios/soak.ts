import { recommendedNodeOptions } from '@hewston-bff/server'
import WebSocket from 'ws'
import { freePort, procStats, startNode, stopGracefully, waitFor } from '../lib/processes.js'

export interface SoakSample {
  t_s: number
  rss_mb: number
  heap_used_mb: number
  /** V8 heap reserved (used + free space it keeps). */
  heap_total_mb: number
  /** Memory outside the V8 heap held by JS objects: typed arrays, Buffers. */
  external_mb: number
  fds: number
  /** Accounted bytes of each bounded store (cache, chart, runs, stream_pool), in MB. */
  accounted_mb: Record<string, number>
  requests: number
  errors: number
  streams_open: number
  streams_done: number
}

export interface SoakBench {
  duration_s: number
  config: { cache_max_mb: number; stream_pool_mb: number; node_options: string }
  /** The bound every RSS sample must stay under: --cache-max-mb + --stream-pool-mb + 150 MB. */
  rss_bound_mb: number
  rss_max_mb: number
  within_bound: boolean
  /** RSS growth from the middle third of the run to the last third (MB): ~0 when flat after warm-up. */
  rss_drift_mb: number
  fds_min: number
  fds_max: number
  requests: number
  errors_5xx: number
  streams_completed: number
  streams_refused: number
  samples: SoakSample[]
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * A long run under mixed load, sampling the BFF's memory and descriptors every 10 s: ~50 requests per
 * second (chart-data over many windows, budgets and credential scopes; complete-run answers; pass-through
 * reads) and 50 paced playback streams that start again, under a new credential scope, as they end — so
 * every bounded store fills and has to evict.
 */
export async function soakScenario(ctx: {
  dataDir: string
  durationS: number
  cacheMaxMb?: number
  streamPoolMb?: number
  /**
   * NODE_OPTIONS for the BFF process: by default what `hewston-bff node-options` gives for these bounds (the
   * deployed configuration); '' runs it with V8's defaults (the before/after comparison).
   */
  nodeOptions?: string
  onSample?: (s: SoakSample) => void
}): Promise<SoakBench> {
  const cacheMaxMb = ctx.cacheMaxMb ?? 128
  const streamPoolMb = ctx.streamPoolMb ?? 256
  const nodeOptions = ctx.nodeOptions ?? recommendedNodeOptions({ cacheMaxMb, streamPoolMb })
  // Its own upstream, streaming at the real backend's pace (≈11 000 frames/s) rather than as fast as it can.
  const backendPort = await freePort()
  const backendUrl = `http://127.0.0.1:${backendPort}`
  startNode([
    'packages/reference-backend/dist/cli.js',
    '--root',
    ctx.dataDir,
    '--port',
    String(backendPort),
    '--sse-frames-per-second',
    '11000',
  ])
  await waitFor(`${backendUrl}/healthz`)
  const port = await freePort()
  const child = startNode(
    [
      'packages/server/dist/cli.js',
      '--backend',
      backendUrl,
      '--port',
      String(port),
      '--log-level',
      'warn',
      '--cache-max-mb',
      String(cacheMaxMb),
      '--stream-pool-mb',
      String(streamPoolMb),
      '--stream-max-per-ip',
      '1000',
      // With the artifacts, as deployed next to the data: complete-run answers do not re-read whole streams.
      '--root',
      ctx.dataDir,
    ],
    { NODE_OPTIONS: nodeOptions },
  )
  const bff = `http://127.0.0.1:${port}`
  await waitFor(`${bff}/health`)
  const list = (await (await fetch(`${backendUrl}/backtests?limit=100`)).json()) as { items: { run_id: string; symbol: string }[] }
  const runs = list.items.map((r) => r.run_id)
  const symbols = [...new Set(list.items.map((r) => r.symbol))]

  let stopping = false
  let requests = 0
  let errors5xx = 0
  let streamsOpen = 0
  let streamsDone = 0
  let streamsRefused = 0
  let seq = 0
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T
  // A few dozen users: enough distinct scopes to fill every store, few enough not to swamp the upstream.
  const scope = () => ({ authorization: `Bearer soak-${Math.floor(Math.random() * 6)}` })

  // ~50 requests per second, at most 64 in flight.
  let inFlight = 0
  const statuses: Record<string, number> = {}
  const oneRequest = async () => {
    const r = Math.random()
    let url: string
    if (r < 0.4) {
      const month = 1 + Math.floor(Math.random() * 12)
      const span = 1 + Math.floor(Math.random() * 6)
      const from = `2024-${String(month).padStart(2, '0')}-01`
      const toMonth = Math.min(12, month + span)
      url = `${bff}/api/v1/chart-data?symbol=${pick(symbols)}&timeframe=${pick(['1M_DECIMATED', '1H', '1D', '1M_DECIMATED'])}&from_date=${from}&to_date=2024-${String(toMonth).padStart(2, '0')}-28&target_points=${pick([500, 2000, 5000, 10000])}&format=${pick(['rows', 'columnar'])}`
    } else if (r < 0.7) {
      url = `${bff}/api/v1/runs/${pick(runs)}/complete?equity_points=${pick([500, 2000, 5000])}&include_fills=${pick(['true', 'false'])}`
    } else {
      url = pick([
        `${bff}/api/v1/backtests/${pick(runs)}`,
        `${bff}/api/v1/backtests?limit=20`,
        `${bff}/api/v1/bars/daily?symbol=${pick(symbols)}`,
      ])
    }
    inFlight++
    try {
      const res = await fetch(url, { headers: scope() })
      await res.arrayBuffer()
      requests++
      if (res.status >= 500) {
        errors5xx++
        statuses[
          `${res.status} ${url
            .replace(bff, '')
            .split('?')[0]
            ?.replace(/[0-9a-f]{32}/, '{id}')}`
        ] =
          (statuses[
            `${res.status} ${url
              .replace(bff, '')
              .split('?')[0]
              ?.replace(/[0-9a-f]{32}/, '{id}')}`
          ] ?? 0) + 1
      }
    } catch {
      errors5xx++
    } finally {
      inFlight--
    }
  }
  const requestLoop = (async () => {
    while (!stopping) {
      if (inFlight < 64) void oneRequest()
      await sleep(20)
    }
  })()

  // 50 paced streams, each started again under a new scope when it ends.
  const streamLoop = async () => {
    while (!stopping) {
      const outcome = await new Promise<'done' | 'refused' | 'failed'>((resolve) => {
        const ws = new WebSocket(
          `${bff.replace('http', 'ws')}/api/v1/runs/${pick(runs)}/stream?autoplay=1&fps=30&speed=${pick([300, 600, 1200])}`,
          { headers: { authorization: `Bearer soak-${seq++ % 48}` }, perMessageDeflate: false },
        )
        const stop = setInterval(() => stopping && ws.terminate(), 500)
        let opened = false
        ws.on('open', () => {
          opened = true
          streamsOpen++
        })
        ws.on('unexpected-response', (_q, res) => {
          res.resume()
          clearInterval(stop)
          resolve(res.statusCode === 503 ? 'refused' : 'failed')
        })
        ws.on('message', (d: Buffer) => {
          if (d.subarray(0, 10).toString().startsWith('{"t":"end"')) ws.close()
        })
        ws.on('close', () => {
          clearInterval(stop)
          if (opened) streamsOpen--
          resolve(opened ? 'done' : 'failed')
        })
        ws.on('error', () => {})
      })
      if (outcome === 'done') streamsDone++
      else {
        streamsRefused++
        await sleep(1000)
      }
    }
  }
  const streamLoops = Array.from({ length: 50 }, () => streamLoop())

  const samples: SoakSample[] = []
  const started = performance.now()
  for (let t = 10; t <= ctx.durationS; t += 10) {
    await sleep(Math.max(0, started + t * 1000 - performance.now()))
    const proc = procStats(child.pid as number)
    const metrics = await (await fetch(`${bff}/metrics`)).text()
    const metric = (name: string) => Number(new RegExp(`^hewston_bff_${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? 0)
    const accounted: Record<string, number> = {}
    for (const m of metrics.matchAll(/^hewston_bff_memory_accounted_bytes\{store="(\w+)"\} (\S+)/gm))
      accounted[m[1] as string] = mb(Number(m[2]))
    const sample: SoakSample = {
      t_s: t,
      rss_mb: proc.rssMb,
      heap_used_mb: mb(metric('nodejs_heap_size_used_bytes')),
      heap_total_mb: mb(metric('nodejs_heap_size_total_bytes')),
      external_mb: mb(metric('nodejs_external_memory_bytes')),
      fds: proc.fds,
      accounted_mb: accounted,
      requests,
      errors: errors5xx,
      streams_open: streamsOpen,
      streams_done: streamsDone,
    }
    samples.push(sample)
    ctx.onSample?.(sample)
  }
  stopping = true
  if (Object.keys(statuses).length) process.stdout.write(`  5xx answers: ${JSON.stringify(statuses)}\n`)
  await requestLoop
  await Promise.all(streamLoops)
  await stopGracefully(child, 5000)

  const bound = cacheMaxMb + streamPoolMb + 150
  const rss = samples.map((s) => s.rss_mb)
  const third = Math.max(1, Math.floor(samples.length / 3))
  const mean = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length)
  const fds = samples.map((s) => s.fds)
  return {
    duration_s: ctx.durationS,
    config: { cache_max_mb: cacheMaxMb, stream_pool_mb: streamPoolMb, node_options: nodeOptions },
    rss_bound_mb: bound,
    rss_max_mb: Math.max(...rss),
    within_bound: rss.every((r) => r <= bound),
    rss_drift_mb: Math.round((mean(rss.slice(-third)) - mean(rss.slice(third, 2 * third))) * 10) / 10,
    fds_min: Math.min(...fds),
    fds_max: Math.max(...fds),
    requests,
    errors_5xx: errors5xx,
    streams_completed: streamsDone,
    streams_refused: streamsRefused,
    samples,
  }
}
