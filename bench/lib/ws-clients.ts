// Runs in its own process: opens N WebSocket clients, plays, and reports what they received.
// Input: JSON {url, clients, fps, sendPlay, timeoutS}; output: one JSON line.
import WebSocket from 'ws'

const spec = JSON.parse(process.argv[2] as string) as { url: string; clients: number; fps: number; sendPlay: boolean; timeoutS: number }
const interval = 1000 / spec.fps
interface Stat {
  frames: number
  first: number
  last: number
  delays: number[]
  prev: number
  done: boolean
}
const stats: Stat[] = []
let bytes = 0
await new Promise<void>((resolveAll) => {
  let finished = 0
  const finish = () => {
    if (++finished === spec.clients) resolveAll()
  }
  const timer = setTimeout(resolveAll, spec.timeoutS * 1000)
  timer.unref()
  for (let i = 0; i < spec.clients; i++) {
    const s: Stat = { frames: 0, first: 0, last: 0, delays: [], prev: 0, done: false }
    stats.push(s)
    const ws = new WebSocket(spec.url, { perMessageDeflate: false })
    ws.on('open', () => {
      if (spec.sendPlay) ws.send('{"t":"ctrl","cmd":"play"}')
    })
    ws.on('message', (d: Buffer) => {
      bytes += d.length
      const text = d.toString()
      const now = performance.now()
      if (text.startsWith('{"t":"frame"') || text.startsWith('{"t": "frame"')) {
        if (s.frames === 0) s.first = now
        else s.delays.push(Math.max(0, now - s.prev - interval))
        s.prev = now
        s.last = now
        s.frames++
      } else if (text.startsWith('{"t":"end"')) {
        s.done = true
        ws.close()
      }
    })
    ws.on('close', finish)
    ws.on('error', finish)
    // Direct upstream WS has no end marker: stop when frames stop arriving.
    if (!spec.url.includes('/api/v1/runs/')) {
      const idle = setInterval(() => {
        if (s.frames > 0 && performance.now() - s.last > 5000) {
          clearInterval(idle)
          s.done = true
          ws.close()
        }
      }, 250)
    }
  }
})
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
const pct = (xs: number[], p: number) => {
  const s = sorted(xs)
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number) : 0
}
const fps = stats.filter((s) => s.frames > 1).map((s) => (s.frames - 1) / ((s.last - s.first) / 1000))
const delays = stats.flatMap((s) => s.delays)
process.stdout.write(
  `${JSON.stringify({
    clients: spec.clients,
    completed: stats.filter((s) => s.done).length,
    frames_total: stats.reduce((a, s) => a + s.frames, 0),
    fps_min: Math.round(Math.min(...fps) * 10) / 10,
    fps_median: Math.round(pct(fps, 50) * 10) / 10,
    delay_p99_ms: Math.round(pct(delays, 99) * 10) / 10,
    bytes,
  })}\n`,
)
process.exit(0)
