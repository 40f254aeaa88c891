import * as z from 'zod/mini'
import type { FrameField } from './frame-fields.js'
import { int } from './int.js'

/** An order row as streamed in a frame: all columns of `orders.parquet`. */
export const StreamOrderSchema = z.looseObject({
  ts_utc: z.string(),
  side: z.enum(['BUY', 'SELL']),
  qty: z.number(),
  price: z.number(),
  order_id: z.string(),
})
export type StreamOrder = z.infer<typeof StreamOrderSchema>

/**
 * One frame, as the upstream streams it (contract §7) and as the BFF's playback stream sends it: with the
 * BFF, `dropped` counts the frames coalesced into the ones sent so far (the upstream always says 0).
 */
export const FrameSchema = z.object({
  t: z.literal('frame'),
  ts: z.string(),
  ohlc: z.nullable(z.object({ o: z.number(), h: z.number(), l: z.number(), c: z.number(), v: z.number() })),
  orders: z.array(StreamOrderSchema),
  equity: z.object({ ts: z.string(), value: z.number() }),
  dropped: int(),
})
export type PlaybackFrame = z.infer<typeof FrameSchema>

/**
 * What the upstream's run stream (`GET /backtests/{id}/stream`, SSE) yields, event by event: frames, then
 * `end` — or an in-band `error` (its HEAD's `STREAM_ERROR`), which ends the stream too.
 */
export type RunStreamEvent = { type: 'frame'; frame: PlaybackFrame } | { type: 'end' } | { type: 'error'; code: string; msg: string }

/**
 * A frame of the BFF's playback stream: the upstream's frame with only the fields the client asked for
 * (all three by default, so a client that never chooses gets exactly the upstream's shape).
 */
export type StreamedFrame = Pick<PlaybackFrame, 't' | 'ts' | 'dropped'> & Partial<Pick<PlaybackFrame, FrameField>>
