import { BffError, type ChartService, type MetricsCatalog, type RunService, type Upstream } from '@hewston-bff/core'
import compression from 'compression'
import cors from 'cors'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import type { BffConfig } from '../config/config.js'
import type { RedisFlagStore } from '../flags/flag-store.js'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'
import { apiDocsRouter, openApiRoute } from '../routes/api-docs.js'
import { chartDataRoute } from '../routes/chart-data.js'
import { demoDir, demoRouter } from '../routes/demo.js'
import { flagsRoute } from '../routes/flags.js'
import { type HealthDeps, healthRoute } from '../routes/health.js'
import { livezRoute, type Readiness, readyzRoute } from '../routes/probes.js'
import { runCompleteRoute, runListRoute } from '../routes/runs.js'
import { sendError } from './errors.js'
import { requestContext } from './request-context.js'

export interface OwnRoutesDeps {
  config: BffConfig
  upstream: Upstream
  charts: ChartService
  runs: RunService
  catalog: MetricsCatalog | undefined
  metrics: BffMetrics
  logger: Logger
  health: HealthDeps
  readiness: Readiness
  /** The fleet's flag overrides in Redis (with `--redis`). */
  flagStore?: RedisFlagStore
}

/**
 * The BFF's own HTTP endpoints (health, metrics, flags, demo, chart data, run data) as an Express app.
 * Each route translates HTTP to a core call and back; the request context (correlation id, target) is
 * already set by the dispatcher.
 */
export function ownRoutes(deps: OwnRoutesDeps): Express {
  const { config, metrics, logger } = deps
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)

  // CORS for the BFF's own endpoints (the SDK on a page of another origin, e.g. the frontend's dev server).
  // Proxied paths never come here: they keep the upstream's own CORS answers, byte for byte.
  if (config.corsOrigins !== 'none') {
    app.use(
      cors({
        origin: config.corsOrigins.split(',').map((o) => o.trim()),
        credentials: true,
        methods: ['GET', 'HEAD'],
        exposedHeaders: ['x-correlation-id', 'retry-after', 'etag'],
        maxAge: 600,
      }),
    )
  }

  app.get('/health', healthRoute(deps.health))
  app.get('/livez', livezRoute())
  app.get(
    '/readyz',
    readyzRoute({
      readiness: deps.readiness,
      upstream: deps.health.upstream,
      timeoutMs: config.healthTimeoutMs,
      lastAnswerAt: () => metrics.lastUpstreamAnswerAt,
    }),
  )
  app.get(
    '/api/v1/flags',
    flagsRoute({ file: config.flagsFile, store: deps.flagStore, backend: config.backend, pollMs: config.flagsPollMs, logger }),
  )
  app.get('/api/v1/openapi.json', openApiRoute(deps.health.version))
  const docs = apiDocsRouter()
  if (docs) app.use('/api/v1/docs', docs)
  else logger.warn('API docs UI not built (npm run build puts it in dist/docs-ui/): /api/v1/docs disabled')
  if (config.demo === 'on') {
    const dir = demoDir()
    if (dir) app.use('/demo', demoRouter(dir))
    else logger.warn('demo not built (npm run build puts it in dist/demo/): /demo/ disabled')
  }
  // Level 4: a cold year of bars compresses in ~8 ms instead of ~18 at the default level 6, for ~6 % more bytes.
  const compress = compression({ threshold: 1024, level: 4 })
  app.get('/api/v1/chart-data', compress, chartDataRoute(deps.charts, { maxSpanDays: config.chartMaxSpanDays }))
  app.get('/api/v1/runs', compress, runListRoute(deps.upstream, deps.catalog))
  app.get('/api/v1/runs/:id/complete', compress, runCompleteRoute(deps.runs))
  app.all('/api/v1/runs/:id/stream', (_req: Request, res: Response) => {
    res.setHeader('upgrade', 'websocket')
    sendError(
      res,
      new BffError('UPGRADE_REQUIRED', 'the playback stream is a WebSocket: connect with ws:// (see docs/stream.md)'),
      requestContext(res).correlationId,
    )
  })
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType)
    res.send(await metrics.registry.metrics())
  })

  // Own paths only reach this app; one that no route took is a wrong method (or an unknown demo file).
  app.use((req: Request, res: Response) => {
    const { correlationId } = requestContext(res)
    if ((req.path.startsWith('/demo') || req.path.startsWith('/api/v1/docs')) && (req.method === 'GET' || req.method === 'HEAD')) {
      return sendError(res, new BffError('NOT_FOUND', `no such file: ${req.path}`), correlationId)
    }
    res.setHeader('allow', 'GET, HEAD')
    sendError(res, new BffError('METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${req.path}`), correlationId)
  })
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { correlationId } = requestContext(res)
    // Express's own client errors (a malformed %-escape in a path parameter, …) are the client's fault.
    const status = (err as { status?: unknown })?.status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendError(res, new BffError(status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', (err as Error).message, null), correlationId)
    }
    logger.error({ err: (err as Error)?.message, correlation_id: correlationId }, 'unhandled error')
    sendError(res, err, correlationId)
  })
  return app
}
