import type { IncomingMessage } from 'node:http'
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
import { bulkhead } from 'cockatiel'
import type { BffConfig } from '../config/config.js'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'
import { UpstreamForwarder } from '../proxy/forwarder.js'
import { createPassThrough } from '../proxy/pass-through.js'
import { WsRelay } from '../proxy/ws-relay.js'
import { StreamHub } from '../stream/stream-hub.js'
import { memoryBudget } from './memory-budget.js'

/** Whole-stream reads of the complete-run aggregation in flight at most (each holds a run's frames while it reads). */
const RUN_STREAM_READS = 2

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
export function createServices(config: BffConfig, p: Ports, clientAddress: (req: IncomingMessage) => string) {
  const ttl = new TtlPolicy({ todayMs: config.ttlTodayS * 1000, recentMs: config.ttlRecentS * 1000, olderMs: config.ttlOlderS * 1000 })
  const stale = { ...DEFAULT_STALE_POLICY, staleIfErrorMs: config.staleIfErrorS * 1000 }
  const budget = memoryBudget(config)
  // Upstream-heavy work is bounded across all requests: that bounds the upstream's load and the memory in flight.
  const chunkFetches = bulkhead(config.chartUpstreamFetches, Number.POSITIVE_INFINITY)
  const streamReads = bulkhead(config.streamUpstreamReads, Number.POSITIVE_INFINITY)
  // Apart from playback's: a complete-run answer must not queue behind timelines that take seconds to load.
  const runStreamReads = bulkhead(RUN_STREAM_READS, Number.POSITIVE_INFINITY)
  const charts = new ChartService({
    upstream: p.upstream,
    memoryBytes: budget.chartBytes,
    fetchSlot: (work) => chunkFetches.execute(work),
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
    memoryBytes: budget.runBytes,
    streamSlot: (work) => runStreamReads.execute(work),
    activeTtlMs: config.runActiveTtlS * 1000,
    doneTtlMs: config.runDoneTtlS * 1000,
    onUpstreamCall: (kind) => p.metrics.runUpstreamCalls.inc({ kind }),
  })
  const streams = new StreamHub({
    upstream: p.upstream,
    authorize: (runId, caller) => runs.authorize(runId, caller),
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
    readSlot: (work) => streamReads.execute(work),
    clientAddress,
    backoffMs: config.streamBackoffMs.split(',').map(Number),
    metrics: p.metrics,
    logger: p.logger,
  })
  p.metrics.trackBytes('chart', () => charts.bytes, budget.chartBytes)
  p.metrics.trackBytes('runs', () => runs.bytes, budget.runBytes)
  p.metrics.trackBytes('stream_pool', () => streams.pool.bytes, config.streamPoolMb * 1024 * 1024)
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
