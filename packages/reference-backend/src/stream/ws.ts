import type { WebSocket } from 'ws'
import { HEAD_STREAM_ERROR } from '../faults.js'
import { PyFloat, type PyValue, pyDumps, pyLoads } from '../py-json.js'
import type { StreamContext } from './context.js'
import { loadTimeline } from './timeline.js'

const COMMANDS = new Set(['play', 'pause', 'seek', 'speed'])
const HIGH_WATER = 1 << 20

const dumps = (v: PyValue) => pyDumps(v, { spaced: true, ensureAscii: true })

/**
 * One `/backtests/{run_id}/ws` session with the upstream's protocol (contract §7.2): heartbeats every 5 s,
 * ctrl echo, `play` floods every frame with no end marker, `pause` stops, `seek`/`speed` are echo-only,
 * non-object JSON and binary frames kill the connection (1006). Unlike the upstream, the flood respects
 * back-pressure and yields to the event loop, so `pause` and other requests are served promptly.
 */
export function wsSession(ws: WebSocket, runId: string, ctx: StreamContext): void {
  ctx.stats.wsConnections++
  const hb = setInterval(() => send('{"t": "hb"}'), ctx.heartbeatMs)
  let playback: { stopped: boolean } | undefined
  let framesOnConnection = 0

  const send = (text: string) => {
    if (ws.readyState === ws.OPEN) ws.send(text)
  }
  ws.on('close', () => {
    clearInterval(hb)
    if (playback) playback.stopped = true
  })
  ws.on('error', () => {})

  ws.on('message', (data, isBinary) => {
    if (isBinary) return ws.terminate()
    let msg: PyValue
    try {
      msg = pyLoads(data.toString())
    } catch {
      return send(dumps({ t: 'err', code: 'VALIDATION', msg: 'invalid JSON' }))
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg) || msg instanceof PyFloat) return ws.terminate()
    const obj = msg as Record<string, PyValue>
    if (obj.t !== 'ctrl') return send(dumps({ t: 'err', code: 'VALIDATION', msg: 'unsupported message' }))
    if (typeof obj.cmd !== 'string' || !COMMANDS.has(obj.cmd)) {
      return send(dumps({ t: 'err', code: 'VALIDATION', msg: 'invalid ctrl.cmd' }))
    }
    send(dumps({ ...obj, echo: true }))
    if (obj.cmd === 'play' && !playback) void play()
    if (obj.cmd === 'pause' && playback) playback.stopped = true
  })

  async function play(): Promise<void> {
    const run = { stopped: false }
    playback = run
    ctx.stats.wsPlays++
    const err = (msg: string) => send(dumps({ t: 'err', code: 'STREAM_ERROR', msg: msg.slice(0, 200) }))
    try {
      const timeline = await loadTimeline(ctx.wd, runId)
      if (ctx.faults().streamError) return err(HEAD_STREAM_ERROR)
      const dropAfter = ctx.faults().closeStreamAfterFrames
      for (let i = 0; i < timeline.length; i++) {
        if (run.stopped || ws.readyState !== ws.OPEN) return
        if (dropAfter !== undefined && framesOnConnection >= dropAfter) {
          await new Promise((r) => setTimeout(r, 20))
          ws.terminate()
          return
        }
        ws.send(timeline.frame(i))
        framesOnConnection++
        ctx.stats.framesSent++
        if (ws.bufferedAmount > HIGH_WATER) await drained(ws)
        else if (i % 512 === 511) await new Promise((r) => setImmediate(r))
      }
      // No end marker: after the last frame only heartbeats follow.
    } catch (e) {
      err(e instanceof Error ? e.message : String(e))
    } finally {
      if (playback === run) playback = undefined
    }
  }
}

function drained(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (ws.readyState !== ws.OPEN || ws.bufferedAmount < HIGH_WATER / 4) resolve()
      else setTimeout(check, 5)
    }
    check()
  })
}
