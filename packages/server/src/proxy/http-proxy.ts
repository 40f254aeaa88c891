import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http'
import { Agent } from 'node:http'
import {
  type UpstreamBreaker,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  ValidationError,
  guardUpstreamQuery,
} from '@hewston-bff/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { createProxyMiddleware } from 'http-proxy-middleware'
import { BffError } from '@hewston-bff/core'
import { sendError } from '../http/errors.js'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'
import { upstreamPathOf } from './paths.js'

export interface ProxyOptions {
  backend: string
  upstreamTimeoutMs: number
  maxBodyBytes: number
  breaker: UpstreamBreaker
  metrics: BffMetrics
  logger: Logger
}

/** What the proxy learns about one request, kept on `res.locals` for logging and metrics. */
export interface ProxyLocals {
  correlationId: string
  upstreamStartedAt?: number
  upstreamMs?: number
  timedOut?: boolean
  settle?: { resolve: () => void; reject: (err: Error) => void }
}

class UpstreamFailure extends Error {}

/**
 * The transparent proxy (Story 8.2): every upstream endpoint under `/api/v1/...` and at its own path,
 * byte for byte — no body parsing, upstream headers and status kept, credentials untouched, SSE streamed
 * as it arrives — behind a query guard, a body limit, a response-start timeout and the circuit breaker.
 */
export function createUpstreamProxy(options: ProxyOptions): { handler: RequestHandler; agent: Agent } {
  const { metrics, logger, breaker } = options
  const agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, keepAliveMsecs: 1000 })

  const proxy = createProxyMiddleware<Request, Response>({
    target: options.backend,
    changeOrigin: false,
    xfwd: false,
    agent,
    pathRewrite: (path) => {
      const upstream = upstreamPathOf(path.split('?')[0] as string)
      const query = path.includes('?') ? path.slice(path.indexOf('?')) : ''
      return `${upstream ?? path.split('?')[0]}${query}`
    },
    on: {
      proxyReq: (proxyReq: ClientRequest, req: Request, res: Response) => {
        const locals = res.locals as ProxyLocals
        proxyReq.setHeader('x-correlation-id', locals.correlationId)
        locals.upstreamStartedAt = performance.now()
        const timer = setTimeout(() => {
          locals.timedOut = true
          proxyReq.destroy(new Error('upstream timeout'))
        }, options.upstreamTimeoutMs)
        proxyReq.once('response', () => clearTimeout(timer))
        proxyReq.once('close', () => clearTimeout(timer))
        // Bodies without a Content-Length are counted as they stream.
        if (req.headers['content-length'] === undefined) {
          let size = 0
          req.on('data', (chunk: Buffer) => {
            size += chunk.length
            if (size > options.maxBodyBytes && !res.headersSent) {
              proxyReq.destroy()
              tooLarge(res, locals.correlationId, options.maxBodyBytes)
              locals.settle?.resolve()
            }
          })
        }
      },
      proxyRes: (proxyRes: IncomingMessage, _req: Request, res: Response) => {
        const locals = res.locals as ProxyLocals
        const ms = performance.now() - (locals.upstreamStartedAt ?? performance.now())
        locals.upstreamMs = Math.round(ms * 100) / 100
        const status = proxyRes.statusCode ?? 0
        metrics.upstreamDuration.observe({ route: routeOf(res), status: String(status) }, ms / 1000)
        if (status >= 502) {
          metrics.upstreamErrors.inc({ kind: 'status_5xx' })
          locals.settle?.reject(new UpstreamFailure(`upstream answered ${status}`))
        } else locals.settle?.resolve()
      },
      error: (err: Error, _req: IncomingMessage, resOrSocket: ServerResponse | import('node:net').Socket) => {
        const res = resOrSocket as Response
        const locals = (res.locals ?? {}) as ProxyLocals
        const timeout = locals.timedOut === true
        metrics.upstreamErrors.inc({ kind: timeout ? 'timeout' : 'unavailable' })
        logger.error({ correlation_id: locals.correlationId, err: err.message, kind: timeout ? 'timeout' : 'unavailable' }, 'upstream call failed')
        locals.settle?.reject(new UpstreamFailure(err.message))
        if (typeof res.status !== 'function') return
        if (res.headersSent) {
          // Mid-stream failure: end the client's response abruptly too, so it can tell.
          res.destroy()
          return
        }
        sendError(
          res,
          timeout
            ? new UpstreamTimeoutError(options.upstreamTimeoutMs)
            : new UpstreamUnavailableError(`upstream unreachable: ${err.message}`),
          locals.correlationId,
        )
      },
    },
  })

  const handler: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const upstreamPath = upstreamPathOf(req.path)
    if (upstreamPath === undefined) return next()
    const locals = res.locals as ProxyLocals
    const url = new URL(req.originalUrl, 'http://bff')
    const issues = guardUpstreamQuery(req.method, upstreamPath, url.searchParams)
    if (issues.length > 0) {
      metrics.validationRejections.inc({ route: routeOf(res) })
      return sendError(res, new ValidationError(issues, `invalid query for ${req.method} ${upstreamPath}`), locals.correlationId)
    }
    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > options.maxBodyBytes) return tooLarge(res, locals.correlationId, options.maxBodyBytes)

    breaker
      .execute(
        () =>
          new Promise<void>((resolve, reject) => {
            locals.settle = { resolve, reject }
            res.once('close', () => resolve())
            void proxy(req, res, next)
          }),
      )
      .catch((err: unknown) => {
        if (err instanceof UpstreamFailure) return // already answered by the error handler
        if (err instanceof UpstreamUnavailableError && err.retryAfterMs !== undefined) {
          metrics.upstreamErrors.inc({ kind: 'breaker_open' })
        }
        if (!res.headersSent) sendError(res, err, locals.correlationId)
      })
  }
  return { handler, agent }
}

function tooLarge(res: Response, correlationId: string, limit: number): void {
  res.setHeader('connection', 'close')
  sendError(res, new BffError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`, { limit_bytes: limit }), correlationId)
}

const routeOf = (res: Response): string => (res.locals as { route?: string }).route ?? 'other'
