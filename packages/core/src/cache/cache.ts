/**
 * The Cache port. Values are strings (already encoded); TTLs are in ms. Implementations: {@link MemoryCache}
 * here, a Redis adapter in the server package, {@link TieredCache} to put one in front of the other.
 */
export interface Cache {
  get(key: string): Promise<string | undefined>
  set(key: string, value: string, ttlMs: number): Promise<void>
  delete(key: string): Promise<void>
  /**
   * Cross-instance fill lock: resolves a token when this caller may fill `key`, undefined when another
   * holder has it. Caches without sharing (memory) always grant it.
   */
  acquireLock?(key: string, ttlMs: number): Promise<string | undefined>
  releaseLock?(key: string, token: string): Promise<void>
}
