import { z } from 'zod'

/**
 * The four error shapes the upstream produces (contract §8) — useful to recognise an upstream error
 * without assuming one shape.
 */
export const UpstreamAppErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) })
export const UpstreamDetailErrorSchema = z.object({ detail: z.string() })
export const UpstreamValidationErrorSchema = z.object({
  detail: z.array(z.object({ loc: z.array(z.union([z.string(), z.number()])), msg: z.string(), type: z.string() }).passthrough()),
})

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
