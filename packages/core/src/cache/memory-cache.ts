import { LRUCache } from 'lru-cache'
import type { Cache } from './cache.js'

export interface MemoryCacheOptions {
  /** Upper bound of the stored values, in bytes (UTF-16 estimate). Default 64 MiB. */
  maxBytes?: number
}

/** An in-process LRU cache bounded by bytes, with per-entry TTLs (lru-cache underneath). */
export class MemoryCache implements Cache {
  private readonly lru: LRUCache<string, string>

  constructor(options: MemoryCacheOptions = {}) {
    this.lru = new LRUCache<string, string>({
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (value, key) => (value.length + key.length) * 2,
      ttlAutopurge: false,
    })
  }

  async get(key: string): Promise<string | undefined> {
    return this.lru.get(key)
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.lru.set(key, value, { ttl: Math.max(1, Math.round(ttlMs)) })
  }

  async delete(key: string): Promise<void> {
    this.lru.delete(key)
  }

  /** Bytes currently held (estimate). */
  get size(): number {
    return this.lru.calculatedSize
  }
}
