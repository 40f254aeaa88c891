import { spawn } from 'node:child_process'
import path from 'node:path'
import { createUpstreamClient, TimelineLoader } from '@hewston-bff/core'
import WebSocket from 'ws'
import { percentile } from '../lib/measure.js'
import { freePort, procStats, ROOT, startNode, waitFor } from '../lib/processes.js'

interface ClientsResult {
  clients: number
  completed: number
  frames_total: number
  fps_min: number
  fps_median: number
  delay_p99_ms: number
  bytes: number
}

export interface StreamBench {
  run: { id: string; frames: number }
  upstream_work: {
    direct: { clients: number; upstream_frames: number; healthz_p50_ms: number; healthz_max_ms: number; wall_ms: number }
    bff: {
      clients: number
      upstream_timeline_loads: number
      upstream_frames: number
      healthz_p50_ms: number
      healthz_max_ms: number
      wall_ms: number
    }
  }
  paced: (ClientsResult & { bff_cpu_pct: number; bff_rss_mb: number; rss_per_client_kb: number })[]
  relay_rtt_ms: { direct_p50: number; direct_p99: number; bff_p50: number; bff_p99: number; added_p99: number }
  timeline_memory: { frames: number; wire_bytes: number; timeline_bytes: number; ratio: number }
}

function clients(spec: { url: string; clients: number; fps: number; sendPlay: boolean; timeoutS: number }): Promise<ClientsResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/lib/ws-clients.ts'), JSON.stringify(spec)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) as string)) : reject(new Error(`clients exited ${code}`)),
    )
  })
}

/** /healthz latency samples every 100 ms while `work` runs. */
async function healthzDuring<T>(url: string, work: Promise<T>): Promise<{ result: T; p50: number; max: number }> {
  const samples: number[] = []
  let done = false
  const sampler = (async () => {
    while (!done) {
      const t0 = performance.now()
      await fetch(`${url}/healthz`)
        .then((r) => r.arrayBuffer())
        .catch(() => undefined)
      samples.push(performance.now() - t0)
      await new Promise((r) => setTimeout(r, 100))
    }
  })()
  const result = await work
  done = true
  await sampler
  const s = [...samples].sort((a, b) => a - b)
  return { result, p50: Math.round((s[Math.floor(s.length / 2)] ?? 0) * 10) / 10, max: Math.round((s.at(-1) ?? 0) * 10) / 10 }
}

async function rtts(url: string, n: number): Promise<number[]> {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  await new Promise((r) => ws.once('open', r))
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const reply = new Promise((r) => ws.once('message', r))
    ws.send(`{"t":"ctrl","cmd":"speed","speed":2,"seq":${i}}`)
    await reply
    out.push(performance.now() - t0)
  }
  ws.close()
  return out.sort((a, b) => a - b)
}

const pctOf = percentile

/**
 * Playback: upstream work for 50 clients through the BFF vs 50 straight to the upstream WS; 50/200/1000
 * paced clients at 30 fps; WS relay round-trip overhead; memory of a buffered 132k-frame timeline.
 */
export async function streamScenario(ctx: { backendUrl: string; dataDir: string }): Promise<StreamBench> {
  const port = await freePort()
  const child = startNode([
    'packages/server/dist/cli.js',
    '--backend',
    ctx.backendUrl,
    '--port',
    String(port),
    '--log-level',
    'warn',
    '--stream-max-per-ip',
    '5000',
    '--stream-max-connections',
    '5000',
  ])
  const bff = `http://127.0.0.1:${port}`
  await waitFor(`${bff}/health`)
  const list = (await (await fetch(`${ctx.backendUrl}/backtests?limit=100`)).json()) as { items: { run_id: string; run_from: string }[] }
  const small = list.items.find((r) => r.run_from.endsWith('-12-01'))?.run_id as string
  const big = list.items.find((r) => r.run_from.endsWith('-10-01'))?.run_id as string
  const sse = await (await fetch(`${ctx.backendUrl}/backtests/${small}/stream`)).text()
  const frames = sse.split('event: frame\n').length - 1

  // 1. Upstream work: 50 direct WS clients each make the upstream produce every frame; through the BFF one
  //    SSE read serves all 50.
  let t0 = performance.now()
  const direct = await healthzDuring(
    ctx.backendUrl,
    clients({ url: `${ctx.backendUrl.replace('http', 'ws')}/backtests/${small}/ws`, clients: 50, fps: 30, sendPlay: true, timeoutS: 120 }),
  )
  const directWall = performance.now() - t0
  const loadsBefore = await loads(bff)
  t0 = performance.now()
  const viaBff = await healthzDuring(
    ctx.backendUrl,
    clients({
      url: `${bff.replace('http', 'ws')}/api/v1/runs/${small}/stream?autoplay=1&fps=30&speed=300`,
      clients: 50,
      fps: 30,
      sendPlay: false,
      timeoutS: 120,
    }),
  )
  const bffWall = performance.now() - t0
  const bffLoads = (await loads(bff)) - loadsBefore
  process.stdout.write(
    `  upstream frames for 50 clients: direct ${direct.result.frames_total} vs BFF ${bffLoads * frames}; /healthz p50 ${direct.p50} vs ${viaBff.p50} ms\n`,
  )

  // 2. Paced clients at 30 fps, ~10 s of playback each (31 days at speed 30).
  const paced: StreamBench['paced'] = []
  for (const n of [50, 200, 1000]) {
    const before = procStats(child.pid as number)
    const tStart = performance.now()
    const r = await clients({
      url: `${bff.replace('http', 'ws')}/api/v1/runs/${small}/stream?autoplay=1&fps=30&speed=30`,
      clients: n,
      fps: 30,
      sendPlay: false,
      timeoutS: 60,
    })
    const elapsedS = (performance.now() - tStart) / 1000
    const after = procStats(child.pid as number)
    const cpuPct = Math.round(((after.cpuTicks - before.cpuTicks) / 100 / elapsedS) * 1000) / 10
    paced.push({
      ...r,
      bff_cpu_pct: cpuPct,
      bff_rss_mb: after.rssMb,
      rss_per_client_kb: Math.round(((after.rssMb - before.rssMb) * 1024) / n),
    })
    process.stdout.write(
      `  ${n} paced clients: fps min ${r.fps_min} median ${r.fps_median}, p99 delay ${r.delay_p99_ms} ms, BFF CPU ${cpuPct}% RSS ${after.rssMb} MB\n`,
    )
  }

  // 3. Transparent relay overhead: ctrl echo round trips, direct vs through /api/v1/backtests/{id}/ws.
  const d = await rtts(`${ctx.backendUrl.replace('http', 'ws')}/backtests/${small}/ws`, 2000)
  const b = await rtts(`${bff.replace('http', 'ws')}/api/v1/backtests/${small}/ws`, 2000)
  const relay = {
    direct_p50: pctOf(d, 50),
    direct_p99: pctOf(d, 99),
    bff_p50: pctOf(b, 50),
    bff_p99: pctOf(b, 99),
    added_p99: Math.round((pctOf(b, 99) - pctOf(d, 99)) * 100) / 100,
  }
  process.stdout.write(`  relay round trip p99: direct ${relay.direct_p99} ms, via BFF ${relay.bff_p99} ms\n`)

  // 4. Memory of the buffered 132k-frame timeline (the same compact structure the BFF pools).
  const wire = (await (await fetch(`${ctx.backendUrl}/backtests/${big}/stream`)).arrayBuffer()).byteLength
  const loader = new TimelineLoader({ upstream: createUpstreamClient({ baseUrl: ctx.backendUrl, timeoutMs: 60_000 }), runId: big })
  await new Promise<void>((resolve) => {
    loader.on('status', (s) => {
      if (s.state === 'complete' || s.state === 'error') resolve()
    })
    loader.start()
  })
  const memory = {
    frames: loader.timeline.length,
    wire_bytes: wire,
    timeline_bytes: loader.timeline.bytes,
    ratio: Math.round((loader.timeline.bytes / wire) * 1000) / 1000,
  }
  process.stdout.write(`  timeline of ${memory.frames} frames: ${memory.timeline_bytes} bytes held vs ${memory.wire_bytes} on the wire\n`)

  return {
    run: { id: small, frames },
    upstream_work: {
      direct: {
        clients: 50,
        upstream_frames: direct.result.frames_total,
        healthz_p50_ms: direct.p50,
        healthz_max_ms: direct.max,
        wall_ms: Math.round(directWall),
      },
      bff: {
        clients: 50,
        upstream_timeline_loads: bffLoads,
        upstream_frames: bffLoads * frames,
        healthz_p50_ms: viaBff.p50,
        healthz_max_ms: viaBff.max,
        wall_ms: Math.round(bffWall),
      },
    },
    paced,
    relay_rtt_ms: relay,
    timeline_memory: memory,
  }
}

async function loads(bff: string): Promise<number> {
  const text = await (await fetch(`${bff}/metrics`)).text()
  return Number(/^hewston_bff_playback_timeline_loads_total (\d+)/m.exec(text)?.[1] ?? 0)
}
