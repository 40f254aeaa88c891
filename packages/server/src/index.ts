/**
 * @hewston-bff/server — the Express host of the Hewston BFF (`hewston-bff` CLI).
 *
 * @example
 * ```ts
 * import { createBffApp, defaultConfig } from '@hewston-bff/server'
 * const bff = createBffApp(defaultConfig({ backend: 'http://127.0.0.1:8000', port: 0 }))
 * console.log(await bff.listen())
 * ```
 */
export { createBffApp, type BffApp, type BffDeps } from './app.js'
export { type BffConfig, ConfigError, ConfigSchema, OPTIONS, defaultConfig, resolveConfig } from './config/config.js'
export { createLogger, type Logger } from './observability/logger.js'
export { BffMetrics, routeLabel } from './observability/metrics.js'
export { API_PREFIX, upstreamPathOf } from './proxy/paths.js'
export { FsArtifactSource } from './artifacts/fs-artifact-source.js'
export { SqliteMetricsCatalog } from './artifacts/sqlite-catalog.js'
export { RedisCache, type RedisCacheOptions } from './cache/redis-cache.js'
