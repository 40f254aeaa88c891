export type { Cache } from './cache.js'
export { MemoryCache, type MemoryCacheOptions } from './memory-cache.js'
export { TieredCache } from './tiered-cache.js'
export { TtlPolicy, type TtlPolicyOptions } from './ttl-policy.js'
