import type { RedisCache } from '../cache/redis-cache.js'
import type { BffConfig } from '../config/config.js'
import { RateLimits } from '../http/rate-limits.js'
import type { BffMetrics } from '../observability/metrics.js'
import type { HealthDeps } from '../routes/health.js'

/**
 * The per-client rate limits of `--rate-limit-rps` (none when 0), shared through Redis when `--redis` is
 * set; `/health` reports whether they hold fleet-wide (`mode: fleet`) or per instance, and so does
 * `hewston_bff_rate_limit_shared`.
 */
export function createRateLimits(
  config: BffConfig,
  redis: RedisCache | undefined,
  metrics: BffMetrics,
  probes: NonNullable<HealthDeps['probes']>,
): RateLimits | undefined {
  if (config.rateLimitRps <= 0) return undefined
  const limits = new RateLimits({ rps: config.rateLimitRps, burst: config.rateLimitBurst, redis: redis?.client })
  metrics.rateLimitsShared = () => limits.shared
  probes.rate_limits = async () =>
    limits.shared || !redis
      ? { status: 'ok', mode: limits.shared ? 'fleet' : 'per-instance' }
      : { status: 'down', mode: 'per-instance', error: 'Redis unavailable: each instance limits on its own' }
  return limits
}
