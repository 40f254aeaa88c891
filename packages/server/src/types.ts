import type { Cache, ChartService, RunService, UpstreamBreaker } from '@hewston-bff/core'
import type { Express } from 'express'
import type { BffConfig } from './config/config.js'
import type { Logger } from './observability/logger.js'
import type { BffMetrics } from './observability/metrics.js'
import type { UpstreamForwarder } from './proxy/forwarder.js'
import type { ServerLifecycle } from './server-lifecycle.js'
import type { StreamHub } from './stream/stream-hub.js'

/** The running BFF: its server lifecycle plus handles on what it is made of (for tests, metrics, embedding). */
export interface BffApp extends ServerLifecycle {
  /** The Express app of the BFF's own endpoints (pass-through requests never enter it). */
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
}
