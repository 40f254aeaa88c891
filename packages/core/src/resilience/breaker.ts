import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, IsolatedCircuitError } from 'cockatiel'
import { UpstreamUnavailableError } from '../errors/upstream-errors.js'
import { type Clock, systemClock } from '../util/clock.js'

export type BreakerState = 'closed' | 'open' | 'half-open'

export interface BreakerOptions {
  /** Consecutive failures that open the breaker (default 5). */
  consecutiveFailures?: number
  /** How long it stays open before letting one probe through (default 5000 ms). */
  halfOpenAfterMs?: number
  /** Which errors count as upstream failures (default: all). 4xx answers are not failures. */
  isFailure?: (err: unknown) => boolean
  /** For `retryAfterMs` (the half-open timing itself is cockatiel's, on the system clock). */
  clock?: Clock
}

/**
 * A circuit breaker in front of one upstream (cockatiel underneath): after N consecutive failures calls
 * fail fast with {@link UpstreamUnavailableError} (carrying `retryAfterMs`) instead of hammering a dead
 * backend; after the cool-down one probe goes through and success closes it again.
 */
export class UpstreamBreaker {
  private readonly policy
  private readonly halfOpenAfterMs: number
  private readonly clock: Clock
  private openedAt = 0
  private readonly listeners = new Set<(state: BreakerState) => void>()

  constructor(options: BreakerOptions = {}) {
    this.halfOpenAfterMs = options.halfOpenAfterMs ?? 5000
    this.clock = options.clock ?? systemClock
    this.policy = circuitBreaker(handleWhen(options.isFailure ?? (() => true)), {
      halfOpenAfter: this.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.consecutiveFailures ?? 5),
    })
    // Events fire before `policy.state` moves, so each names its own state.
    this.policy.onBreak(() => {
      this.openedAt = this.clock.now()
      this.emit('open')
    })
    this.policy.onHalfOpen(() => this.emit('half-open'))
    this.policy.onReset(() => this.emit('closed'))
  }

  get state(): BreakerState {
    switch (this.policy.state) {
      case CircuitState.Closed:
        return 'closed'
      case CircuitState.HalfOpen:
        return 'half-open'
      default:
        return 'open'
    }
  }

  /** Milliseconds until the breaker lets a probe through (0 unless open). */
  get retryAfterMs(): number {
    if (this.state !== 'open') return 0
    return Math.max(0, this.openedAt + this.halfOpenAfterMs - this.clock.now())
  }

  onStateChange(listener: (state: BreakerState) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Runs `fn` through the breaker. */
  async execute<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await this.policy.execute(({ signal }) => fn(signal))
    } catch (err) {
      if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
        throw new UpstreamUnavailableError('upstream circuit breaker is open', Math.max(this.retryAfterMs, 1000), { cause: err })
      }
      throw err
    }
  }

  private emit(state: BreakerState): void {
    for (const l of this.listeners) l(state)
  }
}
