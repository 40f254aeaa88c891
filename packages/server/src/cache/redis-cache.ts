import type { Cache } from '@hewston-bff/core'
import { Redis } from 'ioredis'

/** Compare-and-delete, so a lock is only released by the holder that took it. */
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"

export interface RedisCacheOptions {
  url: string
  /** Prefix of every key (default `hewston-bff:`), so several deployments or test runs can share a Redis. */
  keyPrefix?: string
  /** Called on connection state changes (for health and metrics). */
  onStateChange?: (up: boolean) => void
  onError?: (err: Error) => void
}

/**
 * The Redis adapter of the Cache port (ioredis). Fails fast while Redis is away (no offline queue, one
 * try per command) so a request never waits on a dead Redis; ioredis keeps reconnecting in the background
 * and the adapter is used again as soon as Redis answers.
 */
export class RedisCache implements Cache {
  readonly client: Redis
  private up = false

  constructor(options: RedisCacheOptions) {
    this.client = new Redis(options.url, {
      keyPrefix: options.keyPrefix ?? 'hewston-bff:',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 1000,
      commandTimeout: 1000,
      retryStrategy: (times) => Math.min(100 * times, 1000),
      lazyConnect: false,
    })
    this.client.on('ready', () => {
      this.up = true
      options.onStateChange?.(true)
    })
    this.client.on('close', () => {
      if (this.up) options.onStateChange?.(false)
      this.up = false
    })
    this.client.on('error', (err: Error) => options.onError?.(err))
  }

  get isUp(): boolean {
    return this.up
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.client.get(key)) ?? undefined
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.client.set(key, value, 'PX', Math.max(1, Math.round(ttlMs)))
  }

  async delete(key: string): Promise<void> {
    await this.client.del(key)
  }

  async acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    const token = crypto.randomUUID()
    const ok = await this.client.set(`lock:${key}`, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX')
    return ok === 'OK' ? token : undefined
  }

  async releaseLock(key: string, token: string): Promise<void> {
    await this.client.eval(RELEASE, 1, `lock:${key}`, token)
  }

  /** Round-trip time of a PING, for `/health`. */
  async ping(): Promise<number> {
    const started = performance.now()
    await this.client.ping()
    return Math.round((performance.now() - started) * 10) / 10
  }

  async close(): Promise<void> {
    this.client.disconnect()
  }
}
