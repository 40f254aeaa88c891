import {
  type ArtifactSource,
  type Cache,
  ChartService,
  type Clock,
  DEFAULT_STALE_POLICY,
  type MetricsCatalog,
  RunService,
  TtlPolicy,
  type Upstream,
  type UpstreamBreaker,
} from '@hewston-bff/core'
import type { BffConfig } from '../config/config.js'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'
import { UpstreamForwarder } from '../proxy/forwarder.js'
import { createPassThrough } from '../proxy/pass-through.js'
import { WsRelay } from '../proxy/ws-relay.js'
import { StreamHub } from '../stream/stream-hub.js'

/** The ports every service is built on (see {@link BffDeps}). */
export interface Ports {
  /** The upstream, already behind the breaker. */
  upstream: Upstream
  breaker: UpstreamBreaker
  cache: Cache
  artifacts: ArtifactSource | undefined
  catalog: MetricsCatalog | undefined
  clock: Clock
  metrics: BffMetrics
  logger: Logger
}

/** Core's services and the host's protocol engines, configured from `config` over `ports`. */
export function createServices(config: BffConfig, p: Ports) {
  const ttl = new TtlPolicy({ todayMs: config.ttlTodayS * 1000, recentMs: config.ttlRecentS * 1000, olderMs: config.ttlOlderS * 1000 })
  const stale = { ...DEFAULT_STALE_POLICY, staleIfErrorMs: config.staleIfErrorS * 1000 }
  const charts = new ChartService({
    upstream: p.upstream,
    cache: p.cache,
    ttl,
    stale,
    clock: p.clock,
    concurrency: config.chartConcurrency,
    onChunk: ({ kind, result }) => p.metrics.chartChunks.inc({ kind, result }),
  })
  const runs = new RunService({
    upstream: p.upstream,
    artifacts: p.artifacts,
    catalog: p.catalog,
    charts,
    cache: p.cache,
    clock: p.clock,
    stale,
    authTtlMs: config.runAuthTtlS * 1000,
    activeTtlMs: config.runActiveTtlS * 1000,
    doneTtlMs: config.runDoneTtlS * 1000,
    onUpstreamCall: (kind) => p.metrics.runUpstreamCalls.inc({ kind }),
  })
  const streams = new StreamHub({
    upstream: p.upstream,
    artifacts: p.artifacts,
    catalog: p.catalog,
    clock: p.clock,
    maxConnections: config.streamMaxConnections,
    maxConnectionsPerIp: config.streamMaxPerIp,
    maxMessageBytes: config.wsMaxMessageBytes,
    maxMessagesPerSecond: config.streamMaxMessagesPerS,
    idleTimeoutMs: config.streamIdleTimeoutMs,
    heartbeatMs: config.streamHeartbeatMs,
    poolBytes: config.streamPoolMb * 1024 * 1024,
    backoffMs: config.streamBackoffMs.split(',').map(Number),
    metrics: p.metrics,
    logger: p.logger,
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
    breaker: p.breaker,
    metrics: p.metrics,
    logger: p.logger,
  })
  const passThrough = createPassThrough({
    forwarder,
    breaker: p.breaker,
    metrics: p.metrics,
    logger: p.logger,
    maxBodyBytes: config.maxBodyBytes,
    upstreamTimeoutMs: config.upstreamTimeoutMs,
  })
  return { charts, runs, streams, forwarder, relay, passThrough }
}
