import type { IncomingMessage, ServerResponse } from 'node:http'
import { correlationIdFrom } from '@hewston-bff/core'
import type { Logger } from '../observability/logger.js'
import { type BffMetrics, routeLabel } from '../observability/metrics.js'
import { parseRequestTarget, type RequestTarget } from './request-target.js'

/** What the BFF knows about one HTTP request while serving it; routes read it with {@link requestContext}. */
export interface RequestContext {
  readonly correlationId: string
  /** Undefined when the request line's target is not a valid HTTP/1.1 form (answered 400). */
  readonly target: RequestTarget | undefined
  /** Bounded metric label of the path. */
  readonly route: string
  /** Time until the upstream's response headers, when the request went upstream. */
  upstreamMs?: number
}

const CONTEXT = Symbol.for('hewston-bff.request-context')
type WithContext = ServerResponse & { [CONTEXT]?: RequestContext; locals?: unknown }

/** The context of a request started with {@link beginRequest}. */
export function requestContext(res: ServerResponse): RequestContext {
  const ctx = (res as WithContext)[CONTEXT]
  if (!ctx) throw new Error('requestContext() called for a request that did not go through beginRequest()')
  return ctx
}

export interface RequestObserver {
  metrics: BffMetrics
  logger: Logger
  /** The client's address for the request log (honouring `--trust-proxy`). */
  clientAddress?: (req: IncomingMessage) => string
}

/**
 * Starts the bookkeeping of a request: its correlation id (the client's when sane, else a new one; echoed
 * in `x-correlation-id`), its target, and — once the response is done or the client went away — one log
 * line and the request metrics. Express routes find the same object as `res.locals`.
 */
export function beginRequest(
  req: IncomingMessage,
  res: ServerResponse,
  { metrics, logger, clientAddress }: RequestObserver,
): RequestContext {
  const target = parseRequestTarget(req.url ?? '/')
  const ctx: RequestContext = {
    correlationId: correlationIdFrom(headerGetter(req)),
    target,
    route: target ? routeLabel(target.path) : 'other',
  }
  ;(res as WithContext)[CONTEXT] = ctx
  ;(res as WithContext).locals = ctx
  res.setHeader('x-correlation-id', ctx.correlationId)
  const started = performance.now()
  // Read now: by the time the response closes, the socket may be gone.
  const client = clientAddress ? clientAddress(req) : req.socket.remoteAddress
  metrics.inFlight.inc()
  // 'close' follows 'finish' on a completed response and also fires alone when the client went away.
  res.once('close', () => {
    metrics.inFlight.dec()
    const latency = performance.now() - started
    const status = res.writableFinished ? res.statusCode : 499
    metrics.observeRequest(req.method ?? 'GET', ctx.route, status, latency / 1000)
    const line = {
      correlation_id: ctx.correlationId,
      method: req.method,
      route: ctx.route,
      path: target?.path ?? req.url,
      client,
      status,
      latency_ms: Math.round(latency * 100) / 100,
      upstream_ms: ctx.upstreamMs ?? null,
    }
    if (status >= 500) logger.error(line, 'request')
    else logger.info(line, 'request')
  })
  return ctx
}

/** `headers.get(name)` over a Node request (joined when repeated). */
export function headerGetter(req: IncomingMessage): { get(name: string): string | undefined } {
  return {
    get: (name) => {
      const v = req.headers[name]
      return Array.isArray(v) ? v.join(', ') : v
    },
  }
}
