import path from 'node:path'
import { createUpstreamClient, systemClock, withBreaker } from '@hewston-bff/core'
import type { BffDeps } from '../app.js'
import { FsArtifactSource } from '../artifacts/fs-artifact-source.js'
import { SqliteMetricsCatalog } from '../artifacts/sqlite-catalog.js'
import type { RedisCache } from '../cache/redis-cache.js'
import type { BffConfig } from '../config/config.js'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'
import type { HealthDeps } from '../routes/health.js'
import { createBreaker } from './breaker.js'
import { createCache } from './cache.js'
import type { Ports } from './services.js'

/**
 * The host's ports: each one from `deps` when given, otherwise the adapter `config` describes (HTTP upstream
 * behind the circuit breaker, memory/Redis cache, artifact files and catalog under `--root`, system clock).
 */
export function createPorts(
  config: BffConfig,
  deps: BffDeps,
  metrics: BffMetrics,
  logger: Logger,
): {
  ports: Ports
  rawUpstream: Ports['upstream']
  probes: HealthDeps['probes']
  /** The Redis connection when `--redis` is set (shared by the cache, rate limits and flags). */
  redis: RedisCache | undefined
  release: () => Promise<void>
} {
  const breaker = createBreaker(config, metrics, logger)
  // Every answer of the backend (any status) also tells /readyz that it is reachable.
  const answered = (res: Response) => {
    metrics.lastUpstreamAnswerAt = Date.now()
    return res
  }
  const rawUpstream =
    deps.upstream ??
    createUpstreamClient({
      baseUrl: config.backend,
      timeoutMs: config.upstreamTimeoutMs,
      fetch: (input, init) => fetch(input, init).then(answered),
    })
  const cached = deps.cache ? { cache: deps.cache, probes: {}, redis: undefined } : createCache(config, metrics, logger)
  const sqlite = !deps.catalog && config.root ? new SqliteMetricsCatalog(path.join(config.root, 'data', 'catalog.sqlite')) : undefined
  const ports: Ports = {
    upstream: withBreaker(rawUpstream, breaker),
    breaker,
    cache: cached.cache,
    artifacts: deps.artifacts ?? (config.root ? new FsArtifactSource(config.root) : undefined),
    catalog: deps.catalog ?? sqlite,
    clock: deps.clock ?? systemClock,
    metrics,
    logger,
  }
  const release = async () => {
    sqlite?.close()
    await cached.redis?.close()
  }
  return { ports, rawUpstream, probes: cached.probes, redis: cached.redis, release }
}
