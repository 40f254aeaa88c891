import { LRUCache } from 'lru-cache'
import type { Cache } from './cache.js'
import { HEAP_BYTES, stringBytes } from './heap-bytes.js'

export interface MemoryCacheOptions {
  /** Upper bound of the memory its entries hold (keys, values, bookkeeping), in bytes. Default 64 MiB. */
  maxBytes?: number
}

/** An in-process LRU cache bounded by bytes, with per-entry TTLs (lru-cache underneath). */
export class MemoryCache implements Cache {
  private readonly lru: LRUCache<string, string>

  constructor(options: MemoryCacheOptions = {}) {
    this.lru = new LRUCache<string, string>({
      maxSize: options.maxBytes ?? 64 * 1024 * 1024,
      sizeCalculation: (value, key) => HEAP_BYTES.entry + stringBytes(key) + stringBytes(value),
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

  /** Bytes currently held, as accounted against `maxBytes`. */
  get size(): number {
    return this.lru.calculatedSize
  }
}
