import { type ChildProcess, spawn } from 'node:child_process'
import WebSocket from 'ws'
import { percentile } from '../lib/measure.js'
import { freePort, ROOT, startNode, stopGracefully, track, waitFor } from '../lib/processes.js'

/** The real backend streams about this many frames per second (contract §7.3); the reference one is throttled to match. */
const UPSTREAM_FRAMES_PER_S = 11_000

export interface ResilienceBench {
  first_frame_ms: {
    /** A second client of a run already pooled (same credentials): connect → first frame. */
    pooled: Summary
    /** A client whose run (and credential scope) nobody plays yet: connect → first frame. */
    cold: Summary
    /** The upstream's own SSE stream: request → first frame, for comparison with `cold`. */
    upstream_sse: Summary
  }
  kills: {
    kills: number
    interval_ms: number
    run_frames: number
    playback_s: number
    variants: KillRun[]
  }
  reliability: {
    restarts: number
    run_frames: number
    direct: { clients: number; failed: number }
    bff: { clients: number; failed: number }
  }
}

interface Summary {
  n: number
  p50: number
  p99: number
}

interface KillRun {
  variant: string
  /** Time without frames, summed over the gaps longer than 250 ms between the first frame and `end`. */
  stall_ms: number
  longest_gap_ms: number
  wall_s: number
  complete: boolean
  every_frame: boolean
  every_order: boolean
  upstream_stream_requests: number
}

/** A reference backend as its own process, which the scenario kills (SIGKILL) and starts again on the same port. */
class KillableBackend {
  private child: ChildProcess | undefined
  constructor(
    readonly port: number,
    private readonly dataDir: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  async start(): Promise<void> {
    this.child = track(
      spawn(
        process.execPath,
        [
          'packages/reference-backend/dist/cli.js',
          '--root',
          this.dataDir,
          '--port',
          String(this.port),
          '--sse-frames-per-second',
          String(UPSTREAM_FRAMES_PER_S),
        ],
        { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
      ),
    )
    await waitFor(`${this.url}/healthz`)
  }

  /** Kills the process (connections die without a goodbye) and starts a new one. */
  async kill(): Promise<void> {
    const child = this.child
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGKILL')
      await exited
    }
    await this.start()
  }

  async stop(): Promise<void> {
    if (this.child) await stopGracefully(this.child, 2000)
  }
}

async function startBff(backendUrl: string, extra: string[], cli: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort()
  const child = startNode([cli, '--backend', backendUrl, '--port', String(port), '--log-level', 'warn', ...extra])
  const url = `http://127.0.0.1:${port}`
  await waitFor(`${url}/health`)
  return { url, child }
}

/** Requests of the upstream's run stream the BFF made (first reads and re-reads); -1 when the build does not count them. */
async function upstreamStreamReads(bff: string): Promise<number> {
  const text = await (await fetch(`${bff}/metrics`)).text()
  return Number(/^hewston_bff_playback_upstream_reads_total (\d+)/m.exec(text)?.[1] ?? -1)
}

/** What the upstream's SSE stream holds for a run: frame count and order ids in order. */
async function runContents(backendUrl: string, runId: string): Promise<{ frames: number; orders: string[] }> {
  const text = await (await fetch(`${backendUrl}/backtests/${runId}/stream`)).text()
  return {
    frames: text.split('event: frame\n').length - 1,
    orders: [...text.matchAll(/"order_id": "([^"]+)"/g)].map((m) => m[1] as string),
  }
}

interface Played {
  firstFrameMs: number
  frames: number
  dropped: number
  orders: string[]
  ended: boolean
  gaps: number[]
  wallMs: number
}

/** One playback client through the BFF: connect → end (or timeout), recording frame gaps and orders. */
function play(url: string, headers: Record<string, string>, timeoutMs: number, onFirstFrame?: (ws: WebSocket) => void): Promise<Played> {
  return new Promise((resolve) => {
    const t0 = performance.now()
    const out: Played = { firstFrameMs: -1, frames: 0, dropped: 0, orders: [], ended: false, gaps: [], wallMs: 0 }
    let last = 0
    const ws = new WebSocket(url, { headers, perMessageDeflate: false })
    const done = () => {
      clearTimeout(timer)
      out.wallMs = performance.now() - t0
      ws.terminate()
      resolve(out)
    }
    const timer = setTimeout(done, timeoutMs)
    ws.on('message', (d: Buffer) => {
      const now = performance.now()
      const m = JSON.parse(d.toString()) as { t: string; orders?: { order_id: string }[]; dropped?: number }
      if (m.t === 'frame') {
        if (out.frames === 0) {
          out.firstFrameMs = now - t0
          onFirstFrame?.(ws)
        } else out.gaps.push(now - last)
        last = now
        out.frames++
        out.dropped = m.dropped ?? out.dropped
        for (const o of m.orders ?? []) out.orders.push(o.order_id)
      } else if (m.t === 'end') {
        out.gaps.push(now - last)
        out.ended = true
        done()
      }
    })
    ws.on('error', () => {})
    ws.on('close', () => (out.ended ? undefined : done()))
  })
}

/** Request → first `event: frame` of the upstream's own SSE stream. */
async function upstreamFirstFrame(backendUrl: string, runId: string): Promise<number> {
  const t0 = performance.now()
  const ac = new AbortController()
  const res = await fetch(`${backendUrl}/backtests/${runId}/stream`, { signal: ac.signal })
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let text = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
    if (text.includes('event: frame\n')) break
  }
  const ms = performance.now() - t0
  ac.abort()
  return ms
}

const summary = (xs: number[]): Summary => {
  const s = [...xs].sort((a, b) => a - b)
  return { n: s.length, p50: round1(percentile(s, 50)), p99: round1(percentile(s, 99)) }
}
const round1 = (x: number) => Math.round(x * 10) / 10
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * Streams when things go wrong, with a killable upstream process throttled to the real backend's
 * streaming rate: first-frame latency (pooled and cold), stall over 20 upstream kills during one playback
 * (BFF without and with --root), and the seed's reliability figure — 50 clients through the BFF and 50 on
 * the upstream's own WebSocket while the upstream is restarted 5 times.
 */
export async function resilienceScenario(ctx: { dataDir: string; bffCli?: string; kills?: number }): Promise<ResilienceBench> {
  const cli = ctx.bffCli ?? 'packages/server/dist/cli.js'
  const backend = new KillableBackend(await freePort(), ctx.dataDir)
  await backend.start()
  const list = (await (await fetch(`${backend.url}/backtests?limit=100`)).json()) as { items: { run_id: string; run_from: string }[] }
  const small = list.items.find((r) => r.run_from.endsWith('-12-01'))?.run_id as string
  const big = list.items.find((r) => r.run_from.endsWith('-10-01'))?.run_id as string
  const [smallRun, bigRun] = [await runContents(backend.url, small), await runContents(backend.url, big)]
  const ws = (bff: string, run: string, qs: string) => `${bff.replace('http', 'ws')}/api/v1/runs/${run}/stream?${qs}`
  try {
    // 1. First frame: cold (a fresh credential scope each time, so nothing is pooled) and pooled.
    const bff = await startBff(backend.url, ['--stream-max-per-ip', '1000'], cli)
    const cold: number[] = []
    const upstreamSse: number[] = []
    for (let i = 0; i < 10; i++) {
      upstreamSse.push(await upstreamFirstFrame(backend.url, small))
      const r = await play(ws(bff.url, small, 'autoplay=1&fps=30&speed=60'), { authorization: `Bearer cold-${i}` }, 10_000, (c) =>
        c.terminate(),
      )
      cold.push(r.firstFrameMs)
      await sleep(300)
    }
    const holder = play(ws(bff.url, small, 'autoplay=1&fps=30&speed=1'), { authorization: 'Bearer pooled' }, 120_000)
    await sleep(1000)
    const pooled: number[] = []
    for (let i = 0; i < 50; i++) {
      const r = await play(ws(bff.url, small, 'autoplay=1&fps=30&speed=60'), { authorization: 'Bearer pooled' }, 10_000, (c) =>
        c.terminate(),
      )
      pooled.push(r.firstFrameMs)
    }
    await stopGracefully(bff.child, 2000)
    void holder
    const first_frame_ms = { pooled: summary(pooled), cold: summary(cold), upstream_sse: summary(upstreamSse) }
    process.stdout.write(
      `  first frame p50: pooled ${first_frame_ms.pooled.p50} ms, cold ${first_frame_ms.cold.p50} ms (upstream SSE first frame ${first_frame_ms.upstream_sse.p50} ms)\n`,
    )

    // 2. Stall over N upstream kills during one playback of the big run (~60 s at speed 15).
    const kills = ctx.kills ?? 20
    const intervalMs = 3000
    const variants: KillRun[] = []
    for (const [variant, extra] of [
      ['BFF', []],
      ['BFF --root', ['--root', ctx.dataDir]],
    ] as [string, string[]][]) {
      const b = await startBff(backend.url, extra, cli)
      const before = await upstreamStreamReads(b.url)
      let firstFrame: () => void = () => {}
      const started = new Promise<void>((r) => (firstFrame = r))
      const playing = play(ws(b.url, big, 'autoplay=1&fps=30&speed=15'), { authorization: `Bearer kills-${variant}` }, 300_000, () =>
        firstFrame(),
      )
      await started
      for (let k = 0; k < kills; k++) {
        await sleep(intervalMs)
        await backend.kill()
      }
      const r = await playing
      const gaps = r.gaps.filter((g) => g > 250)
      const run: KillRun = {
        variant,
        stall_ms: Math.round(gaps.reduce((a, g) => a + g, 0)),
        longest_gap_ms: Math.round(Math.max(0, ...r.gaps)),
        wall_s: round1(r.wallMs / 1000),
        complete: r.ended,
        every_frame: r.frames + r.dropped === bigRun.frames,
        every_order: r.orders.join() === bigRun.orders.join(),
        upstream_stream_requests: before < 0 ? -1 : (await upstreamStreamReads(b.url)) - before,
      }
      variants.push(run)
      process.stdout.write(
        `  ${kills} upstream kills, ${variant}: stall ${run.stall_ms} ms (longest gap ${run.longest_gap_ms} ms), ${run.complete && run.every_frame && run.every_order ? 'every frame and order' : 'INCOMPLETE'}\n`,
      )
      await stopGracefully(b.child, 2000)
    }

    // 3. Reliability: 50 + 50 clients of the small run, upstream restarted 5 times meanwhile.
    const r = await startBff(backend.url, ['--stream-max-per-ip', '1000'], cli)
    const direct = Array.from({ length: 50 }, () =>
      directSession(`${backend.url.replace('http', 'ws')}/backtests/${small}/ws`, smallRun.frames),
    )
    const viaBff = Array.from({ length: 50 }, (_, i) =>
      play(ws(r.url, small, 'autoplay=1&fps=30&speed=15'), i % 2 ? {} : { authorization: 'Bearer reliability' }, 180_000),
    )
    for (let k = 0; k < 5; k++) {
      await sleep(3000)
      await backend.kill()
    }
    const directOk = await Promise.all(direct)
    const bffDone = await Promise.all(viaBff)
    const bffFailed = bffDone.filter(
      (p) => !(p.ended && p.frames + p.dropped === smallRun.frames && p.orders.join() === smallRun.orders.join()),
    ).length
    await stopGracefully(r.child, 2000)
    const reliability = {
      restarts: 5,
      run_frames: smallRun.frames,
      direct: { clients: 50, failed: directOk.filter((ok) => !ok).length },
      bff: { clients: 50, failed: bffFailed },
    }
    process.stdout.write(
      `  sessions without every frame over 5 upstream restarts: direct ${reliability.direct.failed}/50, BFF ${bffFailed}/50\n`,
    )
    return {
      first_frame_ms,
      kills: { kills, interval_ms: intervalMs, run_frames: bigRun.frames, playback_s: 60, variants },
      reliability,
    }
  } finally {
    await backend.stop()
  }
}

/**
 * A session on the upstream's own WebSocket as the frontend uses it today: connect, `play`, read frames.
 * The upstream cannot resume, so a session whose connection dies ends without every frame (false).
 */
function directSession(url: string, frames: number): Promise<boolean> {
  return new Promise((resolve) => {
    let got = 0
    let idle: NodeJS.Timeout | undefined
    const ws = new WebSocket(url, { perMessageDeflate: false })
    const finish = () => {
      clearTimeout(idle)
      ws.terminate()
      resolve(got === frames)
    }
    ws.on('open', () => ws.send('{"t":"ctrl","cmd":"play"}'))
    ws.on('message', (d: Buffer) => {
      if (d.subarray(0, 16).toString().includes('"frame"')) got++
      // No end marker on the upstream WS: the session is over once every frame is in, or frames stop.
      if (got === frames) return finish()
      clearTimeout(idle)
      idle = setTimeout(finish, 10_000)
    })
    ws.on('error', () => {})
    ws.on('close', finish)
  })
}
