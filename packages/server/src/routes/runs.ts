import {
  type MetricsCatalog,
  type RunService,
  type Upstream,
  ValidationError,
  credentialScope,
  enrichRunList,
  guardUpstreamQuery,
  parseRunCompleteQuery,
} from '@hewston-bff/core'
import type { Request, RequestHandler, Response } from 'express'
import { sendAggregateError } from '../http/errors.js'
import { forwardedHeaders } from '../http/forwarded-headers.js'

const localsOf = (res: Response) => res.locals as { correlationId: string }

/** `GET /api/v1/runs/:id/complete`: the run, its metrics, equity, orders (fills, chart) in one answer. */
export function runCompleteRoute(runs: RunService): RequestHandler {
  return async (req: Request, res: Response) => {
    const { correlationId } = localsOf(res)
    try {
      const { runId, options } = parseRunCompleteQuery(String(req.params.id), new URL(req.originalUrl, 'http://bff').searchParams)
      const scope = await credentialScope({ authorization: req.get('authorization'), cookie: req.get('cookie') })
      const body = await runs.getComplete(runId, options, { scope, headers: forwardedHeaders(req, correlationId) })
      res.setHeader('cache-control', 'private, no-cache')
      res.status(200).json(body)
    } catch (err) {
      sendAggregateError(res, err, correlationId)
    }
  }
}

const LIST_PARAMS = ['limit', 'offset', 'symbol', 'strategy_id', 'from', 'to', 'order'] as const

/** `GET /api/v1/runs`: the upstream's run list (same filters) with each item's catalog metrics. */
export function runListRoute(upstream: Upstream, catalog: MetricsCatalog | undefined): RequestHandler {
  return async (req: Request, res: Response) => {
    const { correlationId } = localsOf(res)
    try {
      const params = new URL(req.originalUrl, 'http://bff').searchParams
      const issues = guardUpstreamQuery('GET', '/backtests', params)
      if (issues.length) throw new ValidationError(issues, 'invalid run list query')
      const query: Record<string, string> = {}
      for (const k of LIST_PARAMS) {
        const v = params.get(k)
        if (v !== null) query[k] = v
      }
      const list = await upstream.listBacktests(query, { headers: forwardedHeaders(req, correlationId) })
      res.status(200).json(await enrichRunList(list, catalog))
    } catch (err) {
      sendAggregateError(res, err, correlationId)
    }
  }
}
