import { type BffError, UpstreamHttpError, UpstreamTimeoutError, UpstreamUnavailableError, ValidationError, errorEnvelope, isBffError } from '@hewston-bff/core'
import type { Response } from 'express'

/** HTTP status for each error the BFF originates (only the host maps errors to HTTP). */
export function statusOf(err: BffError): number {
  if (err instanceof ValidationError) return 422
  if (err instanceof UpstreamTimeoutError) return 504
  if (err instanceof UpstreamUnavailableError) return err.retryAfterMs !== undefined ? 503 : 502
  switch (err.code) {
    case 'VALIDATION':
      return 422
    case 'BAD_REQUEST':
      return 400
    case 'NOT_FOUND':
    case 'RUN_NOT_FOUND':
    case 'DATASET_NOT_FOUND':
      return 404
    case 'PAYLOAD_TOO_LARGE':
      return 413
    default:
      return 500
  }
}

/** Writes the canonical envelope for `err` (a BffError, or anything else as a generic 500). */
export function sendError(res: Response, err: unknown, correlationId: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (!isBffError(err)) {
    res.status(500).json(errorEnvelope('INTERNAL', 'internal error', null, correlationId))
    return
  }
  const status = statusOf(err)
  if (err instanceof UpstreamUnavailableError && err.retryAfterMs !== undefined) {
    res.setHeader('retry-after', String(Math.max(1, Math.ceil(err.retryAfterMs / 1000))))
  }
  res.status(status).json(errorEnvelope(err.code, err.message, err.details, correlationId))
}

/**
 * For the aggregated endpoints: an upstream 401/403 goes back to the client exactly as the upstream sent
 * it (status, content type, body); any other upstream answer the BFF could not use is a 502; everything
 * else is {@link sendError}.
 */
export function sendAggregateError(res: Response, err: unknown, correlationId: string): void {
  if (err instanceof UpstreamHttpError && (err.status === 401 || err.status === 403)) {
    res.status(err.status)
    if (err.contentType) res.setHeader('content-type', err.contentType)
    res.send(err.body)
    return
  }
  if (err instanceof UpstreamHttpError) return sendError(res, new UpstreamUnavailableError(`upstream answered ${err.status}`), correlationId)
  sendError(res, err, correlationId)
}
