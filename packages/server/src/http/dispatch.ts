import type { IncomingMessage, ServerResponse } from 'node:http'
import { BffError, credentialScope } from '@hewston-bff/core'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'
import { isOwnPath, upstreamPathOf } from '../proxy/paths.js'
import { sendError } from './errors.js'
import type { RateLimits } from './rate-limits.js'
import { beginRequest, type RequestContext } from './request-context.js'

export interface DispatchDeps {
  /** The BFF's own endpoints (an Express app). */
  own: (req: IncomingMessage, res: ServerResponse) => void
  /** Everything else: the transparent pass-through to the upstream. */
  passThrough: (req: IncomingMessage, res: ServerResponse, ctx: RequestContext, upstreamPath: string) => void
  maxUrlBytes: number
  /** Per-client rate limits (`--rate-limit-rps`); probes and metrics are never limited. */
  limits?: RateLimits
  /** The client's address (honouring `--trust-proxy`). */
  clientAddress: (req: IncomingMessage) => string
  metrics: BffMetrics
  logger: Logger
}

/** Paths that are never rate-limited: probes and scrapes must answer whatever a client does. */
const UNLIMITED = /^\/(?:livez|readyz|health|metrics)$/

/**
 * Whom a request counts against: its credential scope when it carries credentials (a user behind a shared
 * address is still one user), else its client address.
 */
async function identityOf(req: IncomingMessage, address: string): Promise<string> {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : v)
  const scope = await credentialScope({ authorization: one(req.headers.authorization), cookie: one(req.headers.cookie) })
  return scope === 'public' ? `ip:${address}` : scope
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
      const path = ctx.target.path
      const route = () => (isOwnPath(path) ? deps.own(req, res) : deps.passThrough(req, res, ctx, upstreamPathOf(path)))
      const limits = deps.limits
      if (!limits || UNLIMITED.test(path)) return route()
      void identityOf(req, deps.clientAddress(req))
        .then((identity) => limits.take(identity))
        .then((decision) => {
          if (decision.ok) return route()
          deps.metrics.rateLimited.inc()
          res.setHeader('retry-after', String(decision.retryAfterS))
          sendError(
            res,
            new BffError('RATE_LIMITED', `too many requests: try again in ${decision.retryAfterS} s`, {
              retry_after_s: decision.retryAfterS,
            }),
            ctx.correlationId,
          )
        })
        .catch((err: unknown) => {
          deps.logger.error({ correlation_id: ctx.correlationId, err: (err as Error)?.message }, 'request handler failed')
          sendError(res, err, ctx.correlationId)
        })
    } catch (err) {
      deps.logger.error({ correlation_id: ctx.correlationId, err: (err as Error)?.message }, 'request handler failed')
      sendError(res, err, ctx.correlationId)
    }
  }
}
