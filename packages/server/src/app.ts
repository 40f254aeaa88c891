import { type IncomingMessage, type Server, createServer } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import {
  BffError,
  type Cache,
  ChartService,
  MemoryCache,
  type MetricsCatalog,
  RunService,
  TieredCache,
  TtlPolicy,
  UpstreamBreaker,
  correlationIdFrom,
  createUpstreamClient,
  isUpstreamFailure,
  withBreaker,
} from '@hewston-bff/core'
import compression from 'compression'
import express, { type Express, type NextFunction, type Request, type Response } from 'express'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { FsArtifactSource } from './artifacts/fs-artifact-source.js'
import { SqliteMetricsCatalog } from './artifacts/sqlite-catalog.js'
import { RedisCache } from './cache/redis-cache.js'
import manifest from '../package.json' with { type: 'json' }
import type { BffConfig } from './config/config.js'
import { sendError } from './http/errors.js'
import { type Logger, createLogger } from './observability/logger.js'
import { BffMetrics, routeLabel } from './observability/metrics.js'
import { type ProxyLocals, createUpstreamProxy } from './proxy/http-proxy.js'
import { upstreamPathOf, wsRunIdOf } from './proxy/paths.js'
import { WsRelay, rejectHandshake } from './proxy/ws-relay.js'
import { chartDataRoute } from './routes/chart-data.js'
import { demoFiles, demoRouter } from './routes/demo.js'
import { flagsRoute } from './routes/flags.js'
import { healthRoute } from './routes/health.js'
import { runCompleteRoute, runListRoute } from './routes/runs.js'
import { StreamHub } from './stream/stream-hub.js'

export interface BffDeps {
  /** Defaults to a pino logger on stdout at `config.logLevel`. */
  logger?: Logger
}

/** The running BFF: the Express app plus a server handle that also serves WebSocket upgrades. */
export interface BffApp {
  readonly app: Express
  readonly config: BffConfig
  readonly metrics: BffMetrics
  readonly breaker: UpstreamBreaker
  readonly logger: Logger
  /** The cache behind the aggregated endpoints (memory, or memory in front of Redis). */
  readonly cache: Cache
  readonly charts: ChartService
  readonly runs: RunService
  readonly streams: StreamHub
  /** Starts listening; resolves with the bound URL. */
  listen(): Promise<string>
  /** Graceful shutdown: stop accepting, close WebSockets with 1012, finish in-flight requests (bounded). */
  close(): Promise<void>
  readonly url: string
  readonly port: number
}

/**
 * Builds the BFF host. All logic comes from `@hewston-bff/core`; this file wires adapters (Express,
 * http-proxy-middleware, ws, pino, prom-client) around it.
 *
 * @example
 * ```ts
 * const bff = createBffApp(defaultConfig({ backend: 'http://127.0.0.1:8000', port: 0 }))
 * const url = await bff.listen()
 * await fetch(`${url}/api/v1/backtests`)
 * await bff.close()
 * ```
 */
export function createBffApp(config: BffConfig, deps: BffDeps = {}): BffApp {
  const logger = deps.logger ?? createLogger(config.logLevel)
  const metrics = new BffMetrics()
  const startedAt = Date.now()
  const breaker = new UpstreamBreaker({
    consecutiveFailures: config.breakerFailures,
    halfOpenAfterMs: config.breakerResetMs,
    isFailure: isUpstreamFailure,
  })
  const breakerGauge = { closed: 0, open: 1, 'half-open': 2 } as const
  metrics.breakerState.set({ upstream: 'backend' }, 0)
  breaker.onStateChange((state) => {
    metrics.breakerState.set({ upstream: 'backend' }, breakerGauge[state])
    logger[state === 'open' ? 'error' : 'warn']({ breaker: state }, `upstream circuit breaker ${state}`)
  })
  const upstream = createUpstreamClient({ baseUrl: config.backend, timeoutMs: config.upstreamTimeoutMs })
  const guardedUpstream = withBreaker(upstream, breaker)

  // Caches: memory always; with --redis, memory in front of Redis, which may fail without failing requests.
  const memory = new MemoryCache({ maxBytes: config.cacheMaxMb * 1024 * 1024 })
  let redis: RedisCache | undefined
  let cache: Cache = memory
  if (config.redis) {
    metrics.redisUp.set(0)
    redis = new RedisCache({
      url: config.redis,
      keyPrefix: config.redisKeyPrefix,
      onStateChange: (up) => {
        metrics.redisUp.set(up ? 1 : 0)
        logger[up ? 'info' : 'warn']({ redis: up ? 'up' : 'down' }, up ? 'redis connected' : 'redis unavailable: serving from memory and upstream')
      },
      onError: () => {},
    })
    cache = new TieredCache(memory, redis, (op, err) => {
      metrics.cacheErrors.inc({ op })
      logger.warn({ op, err: (err as Error)?.message }, 'redis operation failed (degraded)')
    })
  }
  const ttl = new TtlPolicy({ todayMs: config.ttlTodayS * 1000, recentMs: config.ttlRecentS * 1000, olderMs: config.ttlOlderS * 1000 })
  const charts = new ChartService({
    upstream: guardedUpstream,
    cache,
    ttl,
    concurrency: config.chartConcurrency,
    onChunk: ({ kind, result }) => metrics.chartChunks.inc({ kind, result }),
  })
  // Run artifacts and the catalog, read-only, when a Hewston working directory is configured.
  const artifacts = config.root ? new FsArtifactSource(config.root) : undefined
  const catalogFile = config.root ? path.join(config.root, 'data', 'catalog.sqlite') : undefined
  const catalog: MetricsCatalog | undefined = catalogFile ? new SqliteMetricsCatalog(catalogFile) : undefined
  const runs = new RunService({
    upstream: guardedUpstream,
    backendUrl: config.backend,
    artifacts,
    catalog,
    charts,
    cache,
    activeTtlMs: config.runActiveTtlS * 1000,
    doneTtlMs: config.runDoneTtlS * 1000,
    onUpstreamCall: (kind) => metrics.runUpstreamCalls.inc({ kind }),
  })
  const streams = new StreamHub({
    backend: config.backend,
    upstream: guardedUpstream,
    artifacts,
    catalog,
    maxConnections: config.streamMaxConnections,
    maxConnectionsPerIp: config.streamMaxPerIp,
    maxMessageBytes: config.wsMaxMessageBytes,
    maxMessagesPerSecond: config.streamMaxMessagesPerS,
    idleTimeoutMs: config.streamIdleTimeoutMs,
    heartbeatMs: config.streamHeartbeatMs,
    poolBytes: config.streamPoolMb * 1024 * 1024,
    backoffMs: config.streamBackoffMs ? config.streamBackoffMs.split(',').map(Number) : undefined,
    metrics,
    logger,
  })
  const proxy = createUpstreamProxy({
    backend: config.backend,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    maxBodyBytes: config.maxBodyBytes,
    breaker,
    metrics,
    logger,
  })
  const relay = new WsRelay({
    backend: config.backend,
    maxMessageBytes: config.wsMaxMessageBytes,
    handshakeTimeoutMs: Math.min(config.upstreamTimeoutMs, 10_000),
    breaker,
    metrics,
    logger,
  })

  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)

  // Correlation id, request log line and metrics for every request.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const locals = res.locals as ProxyLocals & { route?: string }
    locals.correlationId = correlationIdFrom({ get: (n) => req.get(n) })
    locals.route = routeLabel(req.path)
    const path = req.path // the proxy rewrites req.url later
    res.setHeader('x-correlation-id', locals.correlationId)
    const started = performance.now()
    metrics.inFlight.inc()
    let done = false
    const finish = () => {
      if (done) return
      done = true
      metrics.inFlight.dec()
      const latency = performance.now() - started
      const status = res.headersSent ? res.statusCode : 499
      metrics.requestDuration.observe({ method: req.method, route: locals.route as string, status: String(status) }, latency / 1000)
      const line = {
        correlation_id: locals.correlationId,
        method: req.method,
        route: locals.route,
        path,
        status,
        latency_ms: Math.round(latency * 100) / 100,
        upstream_ms: locals.upstreamMs ?? null,
      }
      if (status >= 500) logger.error(line, 'request')
      else logger.info(line, 'request')
    }
    res.once('finish', finish)
    res.once('close', finish)
    next()
  })

  const probes: Parameters<typeof healthRoute>[0]['probes'] = {}
  if (redis) {
    const r = redis
    probes.redis = async () => {
      if (!r.isUp) return { status: 'down', error: 'not connected' }
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('ping timed out')), 300).unref())
      return { status: 'ok', latency_ms: await Promise.race([r.ping(), timeout]) }
    }
  }
  app.get('/health', healthRoute({ upstream, timeoutMs: config.healthTimeoutMs, version: manifest.version, startedAt, root: config.root, probes }))
  app.get('/api/v1/flags', flagsRoute({ file: config.flagsFile, backend: config.backend, pollMs: config.flagsPollMs, logger }))
  if (config.demo === 'on') {
    const files = demoFiles()
    if (files) app.use('/demo', demoRouter(files))
    else logger.warn('demo files not found (build the browser package): /demo/ disabled')
  }
  app.get('/api/v1/chart-data', compression({ threshold: 1024 }), chartDataRoute(charts, { maxSpanDays: config.chartMaxSpanDays }))
  app.get('/api/v1/runs', compression({ threshold: 1024 }), runListRoute(guardedUpstream, catalog && catalogFile && existsSync(catalogFile) ? catalog : undefined))
  app.get('/api/v1/runs/:id/complete', compression({ threshold: 1024 }), runCompleteRoute(runs))
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType)
    res.send(await metrics.registry.metrics())
  })
  app.use(proxy.handler)
  app.use((req: Request, res: Response) => {
    sendError(res, new BffError('NOT_FOUND', `no route for ${req.method} ${req.path}`), (res.locals as ProxyLocals).correlationId)
  })
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const correlationId = (res.locals as ProxyLocals).correlationId
    // Express's own client errors (a malformed %-escape in a path parameter, …) are the client's fault.
    const status = (err as { status?: unknown })?.status
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendError(res, new BffError(status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', (err as Error).message, null), correlationId)
    }
    logger.error({ err: (err as Error)?.message, correlation_id: correlationId }, 'unhandled error')
    sendError(res, err, correlationId)
  })

  let server: Server | undefined
  let boundPort = config.port
  const sockets = new Set<Socket>()

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?')[0] as string
    const playback = /^\/api\/v1\/runs\/([^/]+)\/stream$/.exec(path)
    if (playback) {
      let runId: string
      try {
        runId = decodeURIComponent(playback[1] as string)
      } catch {
        return rejectHandshake(socket, 400, 'BAD_REQUEST', 'malformed escape in the run id', correlationIdFrom({ get: () => undefined }))
      }
      return streams.handleUpgrade(req, socket, head, runId)
    }
    const runId = wsRunIdOf(path)
    const upstreamPath = upstreamPathOf(path)
    if (!runId || !upstreamPath) {
      rejectHandshake(socket, 404, 'NOT_FOUND', `no WebSocket route for ${path}`, correlationIdFrom({ get: () => undefined }))
      return
    }
    relay.handleUpgrade(req, socket, head, upstreamPath)
  }

  return {
    app,
    config,
    metrics,
    breaker,
    logger,
    cache,
    charts,
    runs,
    streams,
    get url() {
      return `http://${config.host}:${boundPort}`
    },
    get port() {
      return boundPort
    },
    async listen() {
      const s = createServer({ keepAliveTimeout: 65_000 }, app)
      // An upgrade handler must never throw: that would take the whole process down.
      s.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        try {
          onUpgrade(req, socket, head)
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'bad WebSocket upgrade')
          rejectHandshake(socket, 400, 'BAD_REQUEST', 'malformed WebSocket request', correlationIdFrom({ get: () => undefined }))
        }
      })
      s.on('connection', (socket: Socket) => {
        sockets.add(socket)
        socket.once('close', () => sockets.delete(socket))
      })
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.listen(config.port, config.host, () => {
          s.off('error', reject)
          resolve()
        })
      })
      const addr = s.address()
      if (addr && typeof addr === 'object') boundPort = addr.port
      server = s
      logger.info({ url: `http://${config.host}:${boundPort}`, backend: config.backend }, 'hewston-bff listening')
      return `http://${config.host}:${boundPort}`
    },
    async close() {
      const s = server
      if (!s) return
      server = undefined
      logger.info({ in_flight: await inFlightCount(metrics) }, 'shutting down')
      const closed = new Promise<void>((resolve) => s.close(() => resolve()))
      relay.closeAll()
      streams.closeAll()
      s.closeIdleConnections()
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref())
      await Promise.race([closed, deadline])
      relay.terminateAll()
      streams.terminateAll()
      s.closeAllConnections()
      for (const socket of sockets) socket.destroy()
      proxy.agent.destroy()
      await redis?.close()
      await closed
    },
  }
}

async function inFlightCount(metrics: BffMetrics): Promise<number> {
  const v = await metrics.inFlight.get()
  return v.values[0]?.value ?? 0
}
