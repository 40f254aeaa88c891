import type { IncomingMessage, ServerResponse } from 'node:http'
import { BffError } from '@hewston-bff/core'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'
import { isOwnPath, upstreamPathOf } from '../proxy/paths.js'
import { sendError } from './errors.js'
import { beginRequest, type RequestContext } from './request-context.js'

export interface DispatchDeps {
  /** The BFF's own endpoints (an Express app). */
  own: (req: IncomingMessage, res: ServerResponse) => void
  /** Everything else: the transparent pass-through to the upstream. */
  passThrough: (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, upstreamPath: string) => void
  maxUrlBytes: number
  metrics: BffMetrics
  logger: Logger
}

/**
 * The server's request listener: the request context first, then the checks every request gets, then
 * the BFF's own endpoints or the pass-through. Pass-through requests never enter Express: its routing
 * and request decoration cost CPU on the hottest path and add nothing there.
 */
export function createDispatcher(deps: DispatchDeps) {
  const refuse = (res: ServerResponse, ctx: RequestContext, err: BffError) => {
    deps.metrics.clientErrors.inc({ reason: err.code.toLowerCase() })
    res.setHeader('connection', 'close')
    sendError(res, err, ctx.correlationId)
  }
  return (req: IncomingMessage, res: ServerResponse): void => {
    const ctx = beginRequest(req, res, deps)
    try {
      if ((req.url?.length ?? 0) > deps.maxUrlBytes) {
        return refuse(
          res,
          ctx,
          new BffError('URI_TOO_LONG', `request target longer than ${deps.maxUrlBytes} bytes`, { limit_bytes: deps.maxUrlBytes }),
        )
      }
      if (!ctx.target) return refuse(res, ctx, new BffError('BAD_REQUEST', 'invalid request target'))
      if (req.httpVersion === '1.1' && req.headers.host === undefined)
        return refuse(res, ctx, new BffError('BAD_REQUEST', 'HTTP/1.1 request without a Host header'))
      if (isOwnPath(ctx.target.path)) return deps.own(req, res)
      deps.passThrough(req, res, ctx, upstreamPathOf(ctx.target.path))
    } catch (err) {
      deps.logger.error({ correlation_id: ctx.correlationId, err: (err as Error)?.message }, 'request handler failed')
      sendError(res, err, ctx.correlationId)
    }
  }
}
