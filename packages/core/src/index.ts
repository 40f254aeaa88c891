/**
 * @hewston-bff/core — the framework-agnostic heart of the Hewston BFF. It imports no `node:*` module, no
 * framework and no server library, so the server and the browser run the very same code (enforced by the
 * linter and by compiling without Node types).
 *
 * Architecture: `contract/` holds every wire shape once (zod); `upstream/` is the port to the Hewston
 * backend (REST and the run stream) with its ky client; `errors/` the typed errors and guards by code;
 * `validation/` query fields and the minimal pass-through guard; `resilience/` the circuit breaker;
 * `chart/`, `runs/`, `stream/` the aggregations (chart data, complete run data, playback); `cache/` the Cache
 * port; `util/` the Clock port and small helpers. Services take their ports (Upstream, Cache,
 * ArtifactSource, MetricsCatalog, Clock) explicitly: no globals, no singletons.
 *
 * @example
 * ```ts
 * import { ChartService, MemoryCache, createUpstreamClient, parseChartQuery } from '@hewston-bff/core'
 * const charts = new ChartService({ upstream: createUpstreamClient({ baseUrl: 'http://127.0.0.1:8000' }), cache: new MemoryCache() })
 * const { response } = await charts.getChart(parseChartQuery({ symbol: 'AAPL', timeframe: '1H', from_date: '2024-10-01', to_date: '2024-12-31' }), { scope: 'public' })
 * ```
 */

export * from './cache/index.js'
export * from './chart/index.js'
export * from './contract/index.js'
export * from './errors/index.js'
export { correlationIdFrom, isValidCorrelationId } from './http/correlation.js'
export { errorEnvelope } from './http/envelope.js'
export { type BreakerOptions, type BreakerState, UpstreamBreaker } from './resilience/breaker.js'
export { isUpstreamFailure, withBreaker } from './resilience/breaker-upstream.js'
export * from './runs/index.js'
export * from './stream/index.js'
export * from './upstream/index.js'
export { type Clock, ManualClock, sleep, systemClock, type TimerHandle } from './util/clock.js'
export { mapLimit } from './util/map-limit.js'
export { SingleFlight } from './util/single-flight.js'
export { type Slot, unlimited } from './util/slot.js'
export * from './validation/index.js'
