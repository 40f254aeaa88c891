import type { ServerResponse } from 'node:http'
import { HEAD_STREAM_ERROR } from '../faults.js'
import { pyDumps } from '../py-json.js'
import type { StreamContext } from './context.js'
import { loadTimeline } from './timeline.js'

const CHUNK_BYTES = 64 * 1024

/** `GET /backtests/{run_id}/stream`: every frame as `event: frame`, then `event: end` (or one `event: error`). */
export async function streamSse(
  res: ServerResponse,
  runId: string,
  ctx: StreamContext,
  corsHeaders: Record<string, string> = {},
): Promise<void> {
  res.writeHead(200, {
    ...corsHeaders,
    server: 'uvicorn',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'content-type': 'text/event-stream; charset=utf-8',
  })
  let closed = false
  res.on('close', () => {
    closed = true
  })
  const fail = (msg: string) => {
    res.end(`event: error\ndata: ${pyDumps({ code: 'STREAM_ERROR', msg: msg.slice(0, 200) }, { spaced: true, ensureAscii: true })}\n\n`)
  }
  ctx.stats.sseStreams++
  let timeline: Awaited<ReturnType<typeof loadTimeline>>
  try {
    timeline = await loadTimeline(ctx.wd, runId)
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err))
  }
  if (ctx.faults().streamError) return fail(HEAD_STREAM_ERROR)
  const dropAfter = ctx.faults().closeStreamAfterFrames
  const throttle = ctx.faults().sseFramesPerSecond
  const started = performance.now()
  let buf = ''
  for (let i = 0; i < timeline.length; i++) {
    if (closed) return
    if (throttle && i % 256 === 0) {
      const due = started + (i / throttle) * 1000
      const wait = due - performance.now()
      if (wait > 0) {
        if (buf) {
          res.write(buf)
          buf = ''
        }
        await new Promise((r) => setTimeout(r, wait))
      }
    }
    if (dropAfter !== undefined && i >= dropAfter) {
      if (buf) res.write(buf)
      // Let the bytes already written leave before the connection dies mid-stream.
      await new Promise((r) => setTimeout(r, 20))
      res.socket?.destroy()
      return
    }
    buf += `event: frame\ndata: ${timeline.frame(i)}\n\n`
    ctx.stats.framesSent++
    if (buf.length >= CHUNK_BYTES) {
      const ok = res.write(buf)
      buf = ''
      if (!ok)
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done)
            res.off('close', done)
            resolve()
          }
          res.on('drain', done)
          res.on('close', done)
        })
    }
  }
  res.end(`${buf}event: end\ndata: {}\n\n`)
}
