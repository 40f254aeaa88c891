import type { ServerResponse } from 'node:http'
import {
  type BffError,
  breakerRetryAfterMs,
  errorEnvelope,
  isBffError,
  UpstreamHttpError,
  UpstreamUnavailableError,
  upstreamStatusOf,
} from '@hewston-bff/core'

/** HTTP status for each error the BFF originates (only the host maps errors to HTTP), by its code. */
export function statusOf(err: BffError): number {
  switch (err.code) {
    case 'VALIDATION':
      return 422
    case 'BAD_REQUEST':
      return 400
    case 'NOT_FOUND':
    case 'RUN_NOT_FOUND':
    case 'DATASET_NOT_FOUND':
      return 404
    case 'METHOD_NOT_ALLOWED':
      return 405
    case 'REQUEST_TIMEOUT':
      return 408
    case 'PAYLOAD_TOO_LARGE':
      return 413
    case 'URI_TOO_LONG':
      return 414
    case 'UPGRADE_REQUIRED':
      return 426
    case 'RATE_LIMITED':
      return 429
    case 'HEADERS_TOO_LARGE':
      return 431
    case 'UPSTREAM_TIMEOUT':
      return 504
    case 'UPSTREAM_UNAVAILABLE':
      return (err.details as { retry_after_ms?: number } | null)?.retry_after_ms !== undefined ? 503 : 502
    // An upstream answer the BFF could not use is the upstream's failure, not the BFF's: 502.
    case 'UPSTREAM_CONTRACT':
    case 'UPSTREAM_HTTP':
      return 502
    default:
      return 500
  }
}

/** Writes the canonical envelope for `err` (a BffError, or anything else as a generic 500). */
export function sendError(res: ServerResponse, err: unknown, correlationId: string): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  if (!isBffError(err)) return writeEnvelope(res, 500, 'INTERNAL', 'internal error', null, correlationId)
  const retryAfterMs = breakerRetryAfterMs(err)
  if (retryAfterMs !== undefined) res.setHeader('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))))
  writeEnvelope(res, statusOf(err), err.code, err.message, err.details, correlationId)
}

function writeEnvelope(res: ServerResponse, status: number, code: string, message: string, details: unknown, correlationId: string): void {
  const body = JSON.stringify(errorEnvelope(code, message, details, correlationId))
  res.statusCode = status
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('content-length', Buffer.byteLength(body))
  if (!res.hasHeader('x-correlation-id')) res.setHeader('x-correlation-id', correlationId)
  res.end(body)
}

/**
 * For the aggregated endpoints: an upstream 401/403 goes back to the client exactly as the upstream sent
 * it (status, content type, body); any other upstream answer the BFF could not use is a 502; everything
 * else is {@link sendError}.
 */
export function sendAggregateError(res: ServerResponse, err: unknown, correlationId: string): void {
  const status = upstreamStatusOf(err)
  if (err instanceof UpstreamHttpError && (status === 401 || status === 403)) {
    res.statusCode = status
    if (err.contentType) res.setHeader('content-type', err.contentType)
    res.setHeader('content-length', Buffer.byteLength(err.body))
    res.end(err.body)
    return
  }
  if (status !== undefined) return sendError(res, new UpstreamUnavailableError(`upstream answered ${status}`), correlationId)
  sendError(res, err, correlationId)
}
