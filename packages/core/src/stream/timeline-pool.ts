import { type Clock, systemClock } from '../util/clock.js'
import type { TimelineLoader } from './timeline-loader.js'

interface Entry {
  loader: TimelineLoader
  clients: number
  lastUsed: number
  /** What the timeline will hold once loaded (an estimate), counted while it is still loading. */
  expectedBytes: number
}

/**
 * Shares one timeline fetch per run (and credential scope) between every client playing it, and bounds
 * the memory of buffered timelines: when the total passes `maxBytes`, the least recently used timelines
 * without clients are dropped (a later client fetches again). When the timelines in use alone fill the
 * bound, {@link full} says so and the host refuses new runs until some are released — existing ones keep
 * playing. A timeline still loading counts at what it is expected to hold once loaded, so that runs
 * admitted together do not outgrow the bound as they load.
 */
export class TimelinePool {
  private readonly entries = new Map<string, Entry>()

  constructor(
    private readonly maxBytes = 512 * 1024 * 1024,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The loader for `key`, created (and started) by `create` on first use; counts the client in. */
  acquire(key: string, create: () => TimelineLoader, expectedBytes = 0): TimelineLoader {
    let entry = this.entries.get(key)
    if (!entry || entry.loader.status.state === 'error') {
      entry?.loader.stop()
      entry = { loader: create(), clients: 0, lastUsed: this.clock.now(), expectedBytes }
      this.entries.set(key, entry)
      entry.loader.start()
    }
    entry.clients++
    entry.lastUsed = this.clock.now()
    this.evict()
    return entry.loader
  }

  /** Whether `key` is pooled (joining it costs no memory). */
  has(key: string): boolean {
    const e = this.entries.get(key)
    return e !== undefined && e.loader.status.state !== 'error'
  }

  /** True when a new run expected to hold `expectedBytes` does not fit even after dropping every idle timeline. */
  full(expectedBytes = 0): boolean {
    this.evict(expectedBytes)
    return this.bytes + expectedBytes > this.maxBytes
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
    for (const e of this.entries.values())
      total += e.loader.timeline.complete ? e.loader.timeline.bytes : Math.max(e.loader.timeline.bytes, e.expectedBytes)
    return total
  }

  get size(): number {
    return this.entries.size
  }

  /** The pooled keys, in insertion order. */
  keys(): string[] {
    return [...this.entries.keys()]
  }

  /** Drops idle timelines, least recently used first, until `room` more bytes fit (or none is idle). */
  private evict(room = 0): void {
    if (this.bytes + room <= this.maxBytes) return
    const idle = [...this.entries.entries()].filter(([, e]) => e.clients === 0).sort((a, b) => a[1].lastUsed - b[1].lastUsed)
    for (const [key, e] of idle) {
      if (this.bytes + room <= this.maxBytes) break
      e.loader.stop()
      this.entries.delete(key)
    }
  }

  close(): void {
    for (const e of this.entries.values()) e.loader.stop()
    this.entries.clear()
  }
}
