import type { Request } from 'express'

const FORWARD = ['authorization', 'cookie', 'traceparent', 'tracestate']

/** Headers the BFF's own upstream calls carry: the caller's credentials untouched, tracing, correlation id. */
export function forwardedHeaders(req: Request, correlationId: string): Record<string, string> {
  const out: Record<string, string> = { 'x-correlation-id': correlationId }
  for (const name of FORWARD) {
    const v = req.get(name)
    if (v) out[name] = v
  }
  return out
}
