import { createHash } from 'node:crypto'
import { type ChartQueryLimits, type ChartService, credentialScope, forwardedHeaders, parseChartQuery } from '@hewston-bff/core'
import type { Request, RequestHandler, Response } from 'express'
import { sendAggregateError } from '../http/errors.js'
import { headerGetter, requestContext } from '../http/request-context.js'
import { markStale } from '../http/stale-headers.js'

/**
 * `GET /api/v1/chart-data`: translates HTTP to {@link ChartService.getChart} and back — query in, JSON
 * out, with a strong ETag over the data (304 on `If-None-Match`), `Cache-Control` from the chunks' TTL,
 * and upstream 401/403 passed through as they came.
 */
export function chartDataRoute(charts: ChartService, limits: ChartQueryLimits): RequestHandler {
  // Warm answers reuse the same bars object: serialise and hash it once.
  const serialised = new WeakMap<object, { json: string; hash: string }>()
  return async (req: Request, res: Response) => {
    const { correlationId, target } = requestContext(res)
    try {
      const query = parseChartQuery(new URLSearchParams(target?.search), limits)
      const scope = await credentialScope({ authorization: req.get('authorization'), cookie: req.get('cookie') })
      const { response, ttlMs } = await charts.getChart(query, { scope, headers: forwardedHeaders(headerGetter(req).get, correlationId) })
      let bars = serialised.get(response.bars)
      if (!bars) {
        const json = JSON.stringify(response.bars)
        // The ETag covers what the client renders (the request and its bars), not per-call metadata.
        const hash = createHash('sha256')
          .update(`${scope}|${query.symbol}|${query.timeframe}|${query.from_date}|${query.to_date}|${query.target_points}|${query.format}|`)
          .update(json)
          .digest('base64url')
          .slice(0, 32)
        bars = { json, hash }
        serialised.set(response.bars, bars)
      }
      const etag = `"${bars.hash}"`
      res.setHeader('etag', etag)
      res.setHeader('cache-control', `${scope === 'public' ? 'public' : 'private'}, max-age=${Math.floor(ttlMs / 1000)}`)
      markStale(res, response.metadata)
      res.setHeader('vary', 'Authorization, Cookie, Accept-Encoding')
      if (ifNoneMatch(req.get('if-none-match'), etag)) {
        res.status(304).end()
        return
      }
      const body = `{"symbol":${JSON.stringify(response.symbol)},"timeframe":${JSON.stringify(response.timeframe)},"bars":${bars.json},"metadata":${JSON.stringify(response.metadata)}}`
      res.status(200).type('application/json').send(body)
    } catch (err) {
      sendAggregateError(res, err, correlationId)
    }
  }
}

function ifNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false
  return header.split(',').some((t) => t.trim() === etag || t.trim() === '*')
}
