import type { ErrorEnvelope } from '../contract/errors.js'

/** The canonical error body of every BFF-originated failure. */
export function errorEnvelope(code: string, message: string, details: unknown, correlationId: string): ErrorEnvelope {
  return { error: { code, message, details: details ?? null, correlation_id: correlationId } }
}
