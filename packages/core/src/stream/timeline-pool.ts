import { type Clock, systemClock } from '../util/clock.js'
import type { TimelineLoader } from './timeline-loader.js'

interface Entry {
  loader: TimelineLoader
  clients: number
  lastUsed: number
}

/**
 * Shares one timeline fetch per run (and credential scope) between every client playing it, and bounds
 * the memory of buffered timelines: when the total passes `maxBytes`, the least recently used timelines
 * without clients are dropped (a later client fetches again).
 */
export class TimelinePool {
  private readonly entries = new Map<string, Entry>()

  constructor(
    private readonly maxBytes = 512 * 1024 * 1024,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The loader for `key`, created (and started) by `create` on first use; counts the client in. */
  acquire(key: string, create: () => TimelineLoader): TimelineLoader {
    let entry = this.entries.get(key)
    if (!entry || entry.loader.status.state === 'error') {
      entry?.loader.stop()
      entry = { loader: create(), clients: 0, lastUsed: this.clock.now() }
      this.entries.set(key, entry)
      entry.loader.start()
    }
    entry.clients++
    entry.lastUsed = this.clock.now()
    this.evict()
    return entry.loader
  }

  /** A client of `key` left. */
  release(key: string): void {
    const entry = this.entries.get(key)
    if (!entry) return
    entry.clients = Math.max(0, entry.clients - 1)
    entry.lastUsed = this.clock.now()
    this.evict()
  }

  get bytes(): number {
    let total = 0
    for (const e of this.entries.values()) total += e.loader.timeline.bytes
    return total
  }

  get size(): number {
    return this.entries.size
  }

  /** The pooled keys, in insertion order. */
  keys(): string[] {
    return [...this.entries.keys()]
  }

  private evict(): void {
    if (this.bytes <= this.maxBytes) return
    const idle = [...this.entries.entries()].filter(([, e]) => e.clients === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed)
    for (const [key, e] of idle) {
      if (this.bytes <= this.maxBytes) break
      e.loader.stop()
      this.entries.delete(key)
    }
  }

  close(): void {
    for (const e of this.entries.values()) e.loader.stop()
    this.entries.clear()
  }
}
