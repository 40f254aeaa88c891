import * as z from 'zod/mini'

/** The BFF's own canonical envelope for every error it originates. */
export const ErrorEnvelopeSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.unknown(),
    correlation_id: z.string(),
  }),
})
export type ErrorEnvelope = z.infer<typeof ErrorEnvelopeSchema>
