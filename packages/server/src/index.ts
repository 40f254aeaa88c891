/**
 * @hewston-bff/server — the host of the Hewston BFF (`hewston-bff` CLI): it translates HTTP and WebSocket
 * to core calls and back, and owns everything host-specific.
 *
 * Architecture: `app.ts` is the composition root (ports from `wiring/` → core's services → HTTP/WS modules
 * → `server-lifecycle.ts`); `http/` the request context, dispatcher, connection guard, upgrade router and the
 * Express app of the BFF's own routes (`routes/`, one file each); `proxy/` the pass-through engine and the
 * WebSocket relay; `stream/` the playback hub; `artifacts/`, `cache/` adapters for core's ports; `config/`
 * every option once; `observability/` logs and metrics. Logic lives in core; modules here may import core
 * and each other downward, never the reverse.
 *
 * @example
 * ```ts
 * import { createBffApp, defaultConfig } from '@hewston-bff/server'
 * const bff = createBffApp(defaultConfig({ backend: 'http://127.0.0.1:8000', port: 0 }))
 * console.log(await bff.listen())
 * ```
 */
export { type BffApp, type BffDeps, createBffApp } from './app.js'
export { FsArtifactSource } from './artifacts/fs-artifact-source.js'
export { SqliteMetricsCatalog } from './artifacts/sqlite-catalog.js'
export { RedisCache, type RedisCacheOptions } from './cache/redis-cache.js'
export { type BffConfig, ConfigError, ConfigSchema, defaultConfig, OPTIONS, resolveConfig } from './config/config.js'
export { HEAP_HEADROOM_MB, heapLimitAdvice, heapLimitMb, recommendedNodeOptions } from './config/heap.js'
export { createLogger, type Logger } from './observability/logger.js'
export { BffMetrics, routeLabel } from './observability/metrics.js'
export { API_PREFIX, upstreamPathOf } from './proxy/paths.js'
