import * as z from 'zod/mini'
import { int } from './int.js'

/** `GET /api/v1/flags`: what the BFF serves and the browser SDK polls. */
export const FlagsDocumentSchema = z.object({
  flags: z.object({ proxy: z.boolean(), chartData: z.boolean(), runData: z.boolean(), stream: z.boolean() }),
  backend_url: z.string(),
  poll_ms: int(),
})
export type FlagsDocument = z.infer<typeof FlagsDocumentSchema>
