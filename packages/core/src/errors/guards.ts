import { isBffError } from './bff-error.js'

/**
 * Error guards by code, not by class: they hold across duplicated bundles and realms (an error made by
 * one copy of core is still recognised by another), like {@link isBffError} itself.
 */

/** The upstream's HTTP status of an `UPSTREAM_HTTP` error, else undefined. */
export function upstreamStatusOf(err: unknown): number | undefined {
  if (!isBffError(err) || err.code !== 'UPSTREAM_HTTP') return undefined
  const status = (err.details as { status?: unknown } | null)?.status
  return typeof status === 'number' ? status : undefined
}

/** How long until the circuit breaker lets a probe through, for an error raised because it is open. */
export function breakerRetryAfterMs(err: unknown): number | undefined {
  if (!isBffError(err) || err.code !== 'UPSTREAM_UNAVAILABLE') return undefined
  const ms = (err.details as { retry_after_ms?: unknown } | null)?.retry_after_ms
  return typeof ms === 'number' ? ms : undefined
}

/** A failure worth trying again: a timeout, an unreachable upstream (breaker closed), an upstream 5xx. */
export function isTransientUpstreamError(err: unknown): boolean {
  if (!isBffError(err)) return false
  if (err.code === 'UPSTREAM_TIMEOUT') return true
  if (err.code === 'UPSTREAM_UNAVAILABLE') return breakerRetryAfterMs(err) === undefined
  return (upstreamStatusOf(err) ?? 0) >= 500
}

/**
 * The upstream is out (not wrong): unreachable, too slow, its breaker open, or answering 502/503/504. What
 * the caches still hold may then be served stale (`stale-if-error`); a 4xx or a contract break never is.
 */
export function isUpstreamOutage(err: unknown): boolean {
  if (!isBffError(err)) return false
  if (err.code === 'UPSTREAM_TIMEOUT' || err.code === 'UPSTREAM_UNAVAILABLE') return true
  const status = upstreamStatusOf(err)
  return status === 502 || status === 503 || status === 504
}
