import type { Cache } from './cache.js'

/**
 * A fast local cache in front of a shared one (memory in front of Redis). Reads try local first, then
 * shared (copying hits locally); writes go to both. A failing shared cache never fails a request: its
 * errors are reported to `onError` and the local tier carries on, until the shared one answers again.
 */
export class TieredCache implements Cache {
  constructor(
    private readonly local: Cache,
    private readonly shared: Cache,
    private readonly onError: (op: string, err: unknown) => void = () => {},
    /** How long a value copied from the shared tier stays local. */
    private readonly localTtlMs = 60_000,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const hit = await this.local.get(key)
    if (hit !== undefined) return hit
    try {
      const shared = await this.shared.get(key)
      if (shared !== undefined) await this.local.set(key, shared, this.localTtlMs)
      return shared
    } catch (err) {
      this.onError('get', err)
      return undefined
    }
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.local.set(key, value, Math.min(ttlMs, this.localTtlMs))
    try {
      await this.shared.set(key, value, ttlMs)
    } catch (err) {
      this.onError('set', err)
    }
  }

  async delete(key: string): Promise<void> {
    await this.local.delete(key)
    try {
      await this.shared.delete(key)
    } catch (err) {
      this.onError('delete', err)
    }
  }

  async acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    if (!this.shared.acquireLock) return 'local'
    try {
      return await this.shared.acquireLock(key, ttlMs)
    } catch (err) {
      this.onError('lock', err)
      return 'local' // degraded: collapse per instance only
    }
  }

  async releaseLock(key: string, token: string): Promise<void> {
    if (token === 'local' || !this.shared.releaseLock) return
    try {
      await this.shared.releaseLock(key, token)
    } catch (err) {
      this.onError('unlock', err)
    }
  }
}
