import type { IncomingMessage, ServerResponse } from 'node:http'
import {
  BffError,
  breakerRetryAfterMs,
  guardUpstreamQuery,
  pyUnquote,
  type UpstreamBreaker,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
  ValidationError,
} from '@hewston-bff/core'
import { sendError } from '../http/errors.js'
import type { RequestContext } from '../http/request-context.js'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'
import type { BodyFraming, ExchangeOutcome, UpstreamForwarder } from './forwarder.js'

export interface PassThroughOptions {
  forwarder: UpstreamForwarder
  breaker: UpstreamBreaker
  metrics: BffMetrics
  logger: Logger
  maxBodyBytes: number
  upstreamTimeoutMs: number
}

/** Thrown inside the breaker for outcomes that count against the upstream. */
class UpstreamFailure extends Error {
  constructor(readonly outcome: ExchangeOutcome) {
    super('upstream failure')
  }
}

/** Upstream answers that mean the upstream itself is in trouble (passed on to the client unchanged all the same). */
const FAILING_STATUS = new Set([502, 503, 504])

/**
 * The transparent pass-through of one request to the upstream path `upstreamPath`: framing checks, body
 * limit, the minimal guard, the circuit breaker, then {@link UpstreamForwarder}. Only the upstream can trip
 * the breaker — connect failures, resets before an answer, timeouts and its own 502/503/504 — never a
 * client that aborts, breaks its body or sends too much.
 */
export function createPassThrough(options: PassThroughOptions) {
  const { forwarder, breaker, metrics, logger } = options

  return function passThrough(req: IncomingMessage, res: ServerResponse, ctx: RequestContext, upstreamPath: string): void {
    const search = ctx.target?.search ?? ''
    const framing = framingOf(req)
    if (framing === 'unsupported') {
      metrics.clientErrors.inc({ reason: 'transfer_encoding' })
      return refuse(res, new BffError('BAD_REQUEST', 'unsupported Transfer-Encoding: only "chunked" is accepted', null), ctx)
    }
    if (framing === 'length' && Number(req.headers['content-length']) > options.maxBodyBytes)
      return tooLarge(res, ctx, options.maxBodyBytes)

    const issues = guardUpstreamQuery(req.method ?? 'GET', pyUnquote(upstreamPath), new URLSearchParams(search))
    if (issues.length > 0) {
      metrics.validationRejections.inc({ route: ctx.route })
      return sendError(res, new ValidationError(issues, `invalid query for ${req.method} ${upstreamPath}`), ctx.correlationId)
    }

    const exchange = () =>
      forwarder
        .exchange(
          {
            method: req.method ?? 'GET',
            path: `${upstreamPath}${search}`,
            framing,
            source: req,
            correlationId: ctx.correlationId,
            maxBodyBytes: options.maxBodyBytes,
            onAnswer: (status, ms) => {
              ctx.upstreamMs = Math.round(ms * 100) / 100
              metrics.observeUpstream(ctx.route, status, ms / 1000)
            },
          },
          res,
        )
        .then((outcome) => {
          if (outcome.kind === 'failed' || (outcome.kind === 'answered' && FAILING_STATUS.has(outcome.status)))
            throw new UpstreamFailure(outcome)
          return outcome
        })

    breaker.execute(exchange).then(
      (outcome) => settled(outcome),
      (err: unknown) => (err instanceof UpstreamFailure ? settled(err.outcome) : refused(err)),
    )

    function settled(outcome: ExchangeOutcome): void {
      switch (outcome.kind) {
        case 'answered':
          if (outcome.retried) metrics.upstreamRetries.inc()
          if (FAILING_STATUS.has(outcome.status)) metrics.upstreamErrors.inc({ kind: 'status_5xx' })
          return
        case 'failed': {
          if (outcome.retried) metrics.upstreamRetries.inc()
          metrics.upstreamErrors.inc({
            kind: outcome.reason === 'timeout' ? 'timeout' : outcome.reason === 'connect' ? 'unavailable' : 'reset',
          })
          logger.error({ correlation_id: ctx.correlationId, err: outcome.error.message, kind: outcome.reason }, 'upstream call failed')
          const err =
            outcome.reason === 'timeout'
              ? new UpstreamTimeoutError(options.upstreamTimeoutMs)
              : new UpstreamUnavailableError(`upstream unreachable: ${outcome.error.message}`)
          return sendError(res, err, ctx.correlationId)
        }
        case 'too-large':
          return tooLarge(res, ctx, options.maxBodyBytes)
        case 'client-gone':
          return
      }
    }

    function refused(err: unknown): void {
      if (breakerRetryAfterMs(err) !== undefined) metrics.upstreamErrors.inc({ kind: 'breaker_open' })
      else logger.error({ correlation_id: ctx.correlationId, err: (err as Error)?.message }, 'pass-through failed')
      if (!res.headersSent) {
        // The body was never read: the connection cannot carry another request.
        if (framing !== 'none') res.setHeader('connection', 'close')
        sendError(res, err, ctx.correlationId)
      }
    }
  }
}

/** The framing of a request body as Node's parser accepted it. */
function framingOf(req: IncomingMessage): BodyFraming | 'unsupported' {
  const te = req.headers['transfer-encoding']
  if (te !== undefined) return te.trim().toLowerCase() === 'chunked' ? 'chunked' : 'unsupported'
  const cl = req.headers['content-length']
  return cl !== undefined && Number(cl) > 0 ? 'length' : 'none'
}

/** An answer before the body was read: the connection is closed after it, so no body byte is taken for a request. */
function refuse(res: ServerResponse, err: BffError, ctx: RequestContext): void {
  res.setHeader('connection', 'close')
  sendError(res, err, ctx.correlationId)
}

function tooLarge(res: ServerResponse, ctx: RequestContext, limit: number): void {
  refuse(res, new BffError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`, { limit_bytes: limit }), ctx)
}
