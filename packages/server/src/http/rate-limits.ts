import type { Redis } from 'ioredis'
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, type RateLimiterRes } from 'rate-limiter-flexible'

export interface RateLimitsOptions {
  /** Sustained requests per second per client identity. */
  rps: number
  /** Extra requests above the rate, replenished every {@link BURST_WINDOW_S} seconds (0 = none). */
  burst: number
  /** Shared counters: the whole fleet counts each identity once. Without it, each instance counts alone. */
  redis?: Redis
}

/** The window in which `--rate-limit-burst` extra requests are allowed. */
export const BURST_WINDOW_S = 10

export type RateDecision = { ok: true } | { ok: false; retryAfterS: number }

/**
 * Per-client rate limits (rate-limiter-flexible): counters in Redis, so N instances behind a balancer limit
 * at the fleet rate, not N times it. While Redis is not ready, each instance falls back to its own
 * in-memory counters at once (the insurance limiter) rather than failing or waiting: limits then hold per
 * instance, and {@link shared} says so (for `/health` and the metrics).
 */
export class RateLimits {
  private readonly limiter: { consume(key: string): Promise<RateLimiterRes> }

  constructor(private readonly options: RateLimitsOptions) {
    const { rps, burst, redis } = options
    const make = (points: number, duration: number, prefix: string) => {
      const memory = new RateLimiterMemory({ points, duration, keyPrefix: prefix })
      return redis
        ? new RateLimiterRedis({
            storeClient: redis,
            points,
            duration,
            keyPrefix: prefix,
            rejectIfRedisNotReady: true,
            insuranceLimiter: memory,
          })
        : memory
    }
    const rate = make(rps, 1, 'rl')
    this.limiter = burst > 0 ? new BurstyRateLimiter(rate, make(burst, BURST_WINDOW_S, 'rl-burst')) : rate
  }

  /** True while the counters are shared through Redis (false: per instance). */
  get shared(): boolean {
    return this.options.redis?.status === 'ready'
  }

  /** Counts one request of `identity`; says when to come back if it is over its limit. */
  async take(identity: string): Promise<RateDecision> {
    try {
      await this.limiter.consume(identity)
      return { ok: true }
    } catch (rejection) {
      const ms = (rejection as Partial<RateLimiterRes>)?.msBeforeNext
      // A store failure with no insurance left is not the client's fault: let the request through.
      if (typeof ms !== 'number') return { ok: true }
      return { ok: false, retryAfterS: Math.max(1, Math.ceil(ms / 1000)) }
    }
  }
}
