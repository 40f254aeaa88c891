import * as z from 'zod/mini'
import { int } from './int.js'

/** A minute/hour/decimated bar as the upstream serves it: ISO-UTC `t`, float prices, integer volume. */
export const BarSchema = z.object({
  t: z.string(),
  o: z.number(),
  h: z.number(),
  l: z.number(),
  c: z.number(),
  v: z.number(),
})
export type Bar = z.infer<typeof BarSchema>

/** Daily bars also carry the trade count `n`. */
export const DailyBarSchema = z.extend(BarSchema, { n: z.number() })
export type DailyBar = z.infer<typeof DailyBarSchema>

export const BarsResponseSchema = z.object({ symbol: z.string(), bars: z.array(BarSchema) })
export type BarsResponse = z.infer<typeof BarsResponseSchema>

export const DailyBarsResponseSchema = z.object({ symbol: z.string(), bars: z.array(DailyBarSchema) })
export type DailyBarsResponse = z.infer<typeof DailyBarsResponseSchema>

export const DecimatedBarsResponseSchema = z.extend(BarsResponseSchema, {
  meta: z.optional(z.object({ stride_minutes: int(), points: int() })),
})
export type DecimatedBarsResponse = z.infer<typeof DecimatedBarsResponseSchema>
