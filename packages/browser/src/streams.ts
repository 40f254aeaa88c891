import type { CallOptions, HewstonContext } from './context.js'
import { RunStream, type RunStreamOptions } from './run-stream.js'

/**
 * A playback stream; it follows the `stream` flag and the BFF's health, resuming at its position.
 * `signal` closes it.
 */
export function openRunStream(ctx: HewstonContext, runId: string, options: RunStreamOptions & CallOptions = {}): RunStream {
  ctx.startPolling()
  const { signal, ...streamOptions } = options
  const stream = new RunStream(runId, streamOptions, ctx.streamMode(), {
    bffUrl: ctx.bffUrl,
    direct: () => ctx.direct(),
    WebSocket: ctx.WebSocket,
    onBffTrouble: async () => {
      if (await ctx.probe()) return false
      ctx.tripStream('BFF stream connection lost and /health failed')
      return true
    },
  })
  ctx.streams.add(stream)
  stream.on('end', () => ctx.streams.delete(stream))
  stream.on('closed', () => ctx.streams.delete(stream))
  if (signal?.aborted) stream.close()
  else signal?.addEventListener('abort', () => stream.close(), { once: true })
  return stream
}
