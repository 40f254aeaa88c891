import { z } from 'zod'

/** An order row as streamed in a frame: all columns of `orders.parquet`. */
export const StreamOrderSchema = z
  .object({
    ts_utc: z.string(),
    side: z.enum(['BUY', 'SELL']),
    qty: z.number(),
    price: z.number(),
    order_id: z.string(),
  })
  .passthrough()
export type StreamOrder = z.infer<typeof StreamOrderSchema>

/** One playback frame (contract §7). */
export const FrameSchema = z.object({
  t: z.literal('frame'),
  ts: z.string(),
  ohlc: z.object({ o: z.number(), h: z.number(), l: z.number(), c: z.number(), v: z.number() }).nullable(),
  orders: z.array(StreamOrderSchema),
  equity: z.object({ ts: z.string(), value: z.number() }),
  dropped: z.number().int(),
})
export type Frame = z.infer<typeof FrameSchema>

/** What a client may send on a playback WebSocket. */
export const CtrlMessageSchema = z
  .object({
    t: z.literal('ctrl'),
    cmd: z.enum(['play', 'pause', 'seek', 'speed']),
    ts: z.string().optional(),
    speed: z.number().optional(),
  })
  .passthrough()
export type CtrlMessage = z.infer<typeof CtrlMessageSchema>
