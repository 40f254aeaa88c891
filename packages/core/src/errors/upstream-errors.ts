import { BffError } from './bff-error.js'

/** The upstream answered with a non-2xx status; `body` is its response text, untouched. */
export class UpstreamHttpError extends BffError {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly contentType: string | null,
  ) {
    super('UPSTREAM_HTTP', `upstream answered ${status}`, { status })
    this.name = 'UpstreamHttpError'
  }
}

/** The upstream did not answer in time. */
export class UpstreamTimeoutError extends BffError {
  constructor(
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super('UPSTREAM_TIMEOUT', `upstream did not answer within ${timeoutMs} ms`, { timeout_ms: timeoutMs }, options)
    this.name = 'UpstreamTimeoutError'
  }
}

/** The upstream refused or reset the connection, or the circuit breaker is open. */
export class UpstreamUnavailableError extends BffError {
  constructor(
    message: string,
    /** Set when the breaker is open: how long until it lets a probe through. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super('UPSTREAM_UNAVAILABLE', message, retryAfterMs === undefined ? null : { retry_after_ms: retryAfterMs }, options)
    this.name = 'UpstreamUnavailableError'
  }
}

/** The upstream answered 2xx with a body that does not match the contract. */
export class UpstreamContractError extends BffError {
  constructor(message: string, details: unknown) {
    super('UPSTREAM_CONTRACT', message, details)
    this.name = 'UpstreamContractError'
  }
}
