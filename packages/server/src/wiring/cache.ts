import { type Cache, MemoryCache, TieredCache } from '@hewston-bff/core'
import { RedisCache } from '../cache/redis-cache.js'
import type { BffConfig } from '../config/config.js'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'
import type { HealthDeps } from '../routes/health.js'
import { memoryBudget } from './memory-budget.js'

/**
 * The cache behind the aggregated endpoints: memory always; with `--redis`, memory in front of Redis,
 * which may fail without failing requests (degraded mode, visible in logs, metrics and `/health`).
 */
export function createCache(
  config: BffConfig,
  metrics: BffMetrics,
  logger: Logger,
): { cache: Cache; redis?: RedisCache; probes: HealthDeps['probes'] } {
  const maxBytes = memoryBudget(config).cacheBytes
  const memory = new MemoryCache({ maxBytes })
  metrics.trackBytes('cache', () => memory.size, maxBytes)
  if (!config.redis) return { cache: memory, probes: {} }
  metrics.redisUp.set(0)
  const redis = new RedisCache({
    url: config.redis,
    keyPrefix: config.redisKeyPrefix,
    onStateChange: (up) => {
      metrics.redisUp.set(up ? 1 : 0)
      logger[up ? 'info' : 'warn'](
        { redis: up ? 'up' : 'down' },
        up ? 'redis connected' : 'redis unavailable: serving from memory and upstream',
      )
    },
    onError: () => {},
  })
  const cache = new TieredCache(memory, redis, (op, err) => {
    metrics.cacheErrors.inc({ op })
    logger.warn({ op, err: (err as Error)?.message }, 'redis operation failed (degraded)')
  })
  const probes: HealthDeps['probes'] = {
    redis: async () => {
      if (!redis.isUp) return { status: 'down', error: 'not connected' }
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('ping timed out')), 300).unref())
      return { status: 'ok', latency_ms: await Promise.race([redis.ping(), timeout]) }
    },
  }
  return { cache, redis, probes }
}
