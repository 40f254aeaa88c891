import { isUpstreamFailure, UpstreamBreaker } from '@hewston-bff/core'
import type { BffConfig } from '../config/config.js'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'

const GAUGE = { closed: 0, open: 1, 'half-open': 2 } as const

/** The upstream circuit breaker from config, its state mirrored into metrics and logs. */
export function createBreaker(config: BffConfig, metrics: BffMetrics, logger: Logger): UpstreamBreaker {
  const breaker = new UpstreamBreaker({
    consecutiveFailures: config.breakerFailures,
    halfOpenAfterMs: config.breakerResetMs,
    isFailure: isUpstreamFailure,
  })
  metrics.breakerState.set({ upstream: 'backend' }, 0)
  breaker.onStateChange((state) => {
    metrics.breakerState.set({ upstream: 'backend' }, GAUGE[state])
    metrics.breakerTransitions.inc({ upstream: 'backend', to: state })
    logger[state === 'open' ? 'error' : 'warn']({ breaker: state }, `upstream circuit breaker ${state}`)
  })
  return breaker
}
