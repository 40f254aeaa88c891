import path from 'node:path'
import {
  type Cache,
  ChartService,
  MemoryCache,
  type MetricsCatalog,
  RunService,
  TieredCache,
  TtlPolicy,
  UpstreamBreaker,
  createUpstreamClient,
  isUpstreamFailure,
  withBreaker,
} from '@hewston-bff/core'
import type { Express } from 'express'
import manifest from '../package.json' with { type: 'json' }
import { FsArtifactSource } from './artifacts/fs-artifact-source.js'
import { SqliteMetricsCatalog } from './artifacts/sqlite-catalog.js'
import { RedisCache } from './cache/redis-cache.js'
import type { BffConfig } from './config/config.js'
import { createDispatcher } from './http/dispatch.js'
import { ownRoutes } from './http/own-routes.js'
import { upgradeRouter } from './http/upgrade-router.js'
import { type Logger, createLogger } from './observability/logger.js'
import { BffMetrics } from './observability/metrics.js'
import { UpstreamForwarder } from './proxy/forwarder.js'
import { createPassThrough } from './proxy/pass-through.js'
import { WsRelay } from './proxy/ws-relay.js'
import { serverLifecycle } from './server-lifecycle.js'
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
  /** The pass-through engine (its keep-alive pool is `forwarder.agent`). */
  readonly forwarder: UpstreamForwarder
  /** Starts listening; resolves with the bound URL. */
  listen(): Promise<string>
  /** Graceful shutdown: stop accepting, close WebSockets with 1012, finish in-flight requests (bounded). */
  close(): Promise<void>
  readonly url: string
  readonly port: number
}

/**
 * Builds the BFF host. All logic comes from `@hewston-bff/core`; this file wires adapters (Express, the
 * pass-through engine, ws, pino, prom-client) around it.
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
    metrics.breakerTransitions.inc({ upstream: 'backend', to: state })
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
  const sqliteCatalog = catalogFile ? new SqliteMetricsCatalog(catalogFile) : undefined
  const catalog: MetricsCatalog | undefined = sqliteCatalog
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
  const forwarder = new UpstreamForwarder({
    backend: new URL(config.backend),
    responseTimeoutMs: config.upstreamTimeoutMs,
    idleSocketMs: config.upstreamIdleMs,
    maxSockets: config.upstreamMaxSockets,
  })
  const relay = new WsRelay({
    backend: config.backend,
    maxMessageBytes: config.wsMaxMessageBytes,
    handshakeTimeoutMs: Math.min(config.upstreamTimeoutMs, 10_000),
    breaker,
    metrics,
    logger,
  })

  const probes: NonNullable<Parameters<typeof ownRoutes>[0]['health']['probes']> = {}
  if (redis) {
    const r = redis
    probes.redis = async () => {
      if (!r.isUp) return { status: 'down', error: 'not connected' }
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('ping timed out')), 300).unref())
      return { status: 'ok', latency_ms: await Promise.race([r.ping(), timeout]) }
    }
  }
  const app = ownRoutes({
    config,
    upstream: guardedUpstream,
    charts,
    runs,
    catalog,
    metrics,
    logger,
    health: { upstream, timeoutMs: config.healthTimeoutMs, version: manifest.version, startedAt, root: config.root, probes },
  })
  const passThrough = createPassThrough({ forwarder, breaker, metrics, logger, maxBodyBytes: config.maxBodyBytes, upstreamTimeoutMs: config.upstreamTimeoutMs })
  const lifecycle = serverLifecycle({
    config,
    metrics,
    logger,
    onRequest: createDispatcher({ own: app, passThrough, maxUrlBytes: config.maxUrlBytes, metrics, logger }),
    onUpgrade: upgradeRouter({ streams, relay, logger }),
    closeStreams: () => {
      relay.closeAll()
      streams.closeAll()
    },
    terminateStreams: () => {
      relay.terminateAll()
      streams.terminateAll()
    },
    release: async () => {
      forwarder.close()
      sqliteCatalog?.close()
      await redis?.close()
    },
  })

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
    forwarder,
    get url() {
      return lifecycle.url
    },
    get port() {
      return lifecycle.port
    },
    listen: () => lifecycle.listen(),
    close: () => lifecycle.close(),
  }
}
