/**
 * @hewston-bff/core — the framework-agnostic heart of the Hewston BFF: the upstream contract (zod), a
 * typed upstream client, request guards, errors and resilience. It imports no `node:*` module, no
 * framework and no DOM-only API, so the server and the browser run the very same code.
 *
 * @example
 * ```ts
 * import { createUpstreamClient, guardUpstreamQuery } from '@hewston-bff/core'
 * const upstream = createUpstreamClient({ baseUrl: 'http://127.0.0.1:8000' })
 * const issues = guardUpstreamQuery('GET', '/bars/daily', new URLSearchParams('symbol=AAPL'))
 * ```
 */
export * from './contract/index.js'
export * from './errors/index.js'
export * from './upstream/index.js'
export * from './validation/index.js'
export { UpstreamBreaker, type BreakerOptions, type BreakerState } from './resilience/breaker.js'
export { isUpstreamFailure, withBreaker } from './resilience/breaker-upstream.js'
export { errorEnvelope } from './http/envelope.js'
export { correlationIdFrom, isValidCorrelationId } from './http/correlation.js'
export * from './chart/index.js'
export * from './cache/index.js'
export { type Clock, systemClock } from './util/clock.js'
export { SingleFlight } from './util/single-flight.js'
export { mapLimit } from './util/map-limit.js'
export * from './runs/index.js'
export * from './stream/index.js'
