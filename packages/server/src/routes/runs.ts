import {
  credentialScope,
  enrichRunList,
  forwardedHeaders,
  type MetricsCatalog,
  parseRunCompleteQuery,
  parseRunListQuery,
  type RunService,
  type Upstream,
} from '@hewston-bff/core'
import type { Request, RequestHandler, Response } from 'express'
import { sendAggregateError } from '../http/errors.js'
import { headerGetter, requestContext } from '../http/request-context.js'
import { markStale } from '../http/stale-headers.js'

/** `GET /api/v1/runs/:id/complete`: the run, its metrics, equity, orders (fills, chart) in one answer. */
export function runCompleteRoute(runs: RunService): RequestHandler {
  return async (req: Request, res: Response) => {
    const { correlationId, target } = requestContext(res)
    try {
      const { runId, options } = parseRunCompleteQuery(String(req.params.id), new URLSearchParams(target?.search))
      const scope = await credentialScope({ authorization: req.get('authorization'), cookie: req.get('cookie') })
      const body = await runs.getComplete(runId, options, { scope, headers: forwardedHeaders(headerGetter(req).get, correlationId) })
      res.setHeader('cache-control', 'private, no-cache')
      markStale(res, body.metadata)
      res.status(200).json(body)
    } catch (err) {
      sendAggregateError(res, err, correlationId)
    }
  }
}

/** `GET /api/v1/runs`: the upstream's run list (same filters) with each item's catalog metrics. */
export function runListRoute(upstream: Upstream, catalog: MetricsCatalog | undefined): RequestHandler {
  return async (req: Request, res: Response) => {
    const { correlationId, target } = requestContext(res)
    try {
      const query = parseRunListQuery(new URLSearchParams(target?.search))
      const list = await upstream.listBacktests(query, { headers: forwardedHeaders(headerGetter(req).get, correlationId) })
      res.status(200).json(await enrichRunList(list, catalog))
    } catch (err) {
      sendAggregateError(res, err, correlationId)
    }
  }
}
