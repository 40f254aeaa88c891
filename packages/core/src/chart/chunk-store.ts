import { LRUCache } from 'lru-cache'
import type { Cache } from '../cache/cache.js'
import { HEAP_BYTES } from '../cache/heap-bytes.js'
import {
  DEFAULT_STALE_POLICY,
  dueForRevalidation,
  isFresh,
  type StalePolicy,
  type Stamped,
  stamp,
  storeTtl,
  usableWhenOut,
} from '../cache/stale.js'
import type { TtlPolicy } from '../cache/ttl-policy.js'
import { isUpstreamOutage, upstreamStatusOf } from '../errors/guards.js'
import type { Upstream } from '../upstream/upstream.js'
import { type Clock, sleep } from '../util/clock.js'
import { SingleFlight } from '../util/single-flight.js'
import { type Slot, unlimited } from '../util/slot.js'
import type { Chunk, SourceKind } from './chunks.js'
import { type ColumnarBars, emptyBars, toColumnar } from './columnar.js'

/** Who is asking: their upstream headers (credentials pass through) and the cache scope they imply. */
export interface CallerContext {
  headers?: Record<string, string>
  /** `public`, or a hash of the caller's credentials (see {@link credentialScope}). */
  scope: string
}

export type ChunkEvent = 'hit' | 'miss' | 'shared-fill' | 'fetch' | 'stale' | 'refresh'

export interface ChunkLoad {
  bars: ColumnarBars
  fetched: boolean
  /** Set when the upstream was out and an expired chunk stood in: how old it is (ms). */
  staleAgeMs?: number
}

export interface ChunkStoreOptions {
  upstream: Upstream
  cache: Cache
  ttl: TtlPolicy
  clock: Clock
  stale?: StalePolicy
  lockWaitMs?: number
  /** Bytes of decoded chunks kept in process, in front of the (encoded) Cache port. */
  memoryBytes: number
  /** Background fills and refreshes in flight at most (default 2): never on a request's path. */
  backgroundConcurrency?: number
  /** Runs each upstream chunk fetch (and its decoding); a shared limiter bounds them across requests. */
  fetchSlot?: Slot
  /** Background jobs waiting at most (default 1000); more are skipped until the queue drains. */
  backgroundQueueMax?: number
  onChunk?: (event: { kind: SourceKind; result: ChunkEvent }) => void
}

const CACHE_VERSION = 'v2'

/**
 * The calendar-aligned chunks of chart data (a month of minutes, a year of hours or days), cached per
 * caller scope: in process decoded, in the Cache port encoded with their timing. A chunk is loaded fresh
 * from the caches, else fetched once (single-flight here, a fill lock across instances); one near the end
 * of its fresh life is refreshed in the background while still served; an expired one stands in — marked
 * stale — when the upstream is out, for as long as the stale policy allows.
 */
export class ChunkStore {
  private readonly flights = new SingleFlight<ChunkLoad>()
  private readonly decoded: LRUCache<string, Stamped<ColumnarBars>>
  private readonly stale: StalePolicy
  private backgroundRunning = 0
  private readonly backgroundQueue: (() => Promise<void>)[] = []
  /** Chunk keys waiting in the background queue (not yet running). */
  private readonly queuedKeys = new Set<string>()
  private idleWaiters: (() => void)[] = []

  constructor(private readonly options: ChunkStoreOptions) {
    this.stale = options.stale ?? DEFAULT_STALE_POLICY
    this.decoded = new LRUCache({ maxSize: Math.max(1, Math.floor(options.memoryBytes)), sizeCalculation: (e) => bytesOf(e.value) })
  }

  /** Cache key of a chunk for a caller scope. */
  key(chunk: Chunk, scope: string, rthOnly = true): string {
    const rth = chunk.kind === 'daily' ? '' : rthOnly ? ':rth' : ':all'
    return `hewston:chart:${CACHE_VERSION}:${scope}:${chunk.kind}${rth}:${chunk.symbol}:${chunk.id}`
  }

  /** What the caches hold for a chunk, fresh or not; no upstream call. */
  async peek(chunk: Chunk, caller: CallerContext, rthOnly: boolean): Promise<Stamped<ColumnarBars> | undefined> {
    const key = this.key(chunk, caller.scope, rthOnly)
    const hot = this.decoded.get(key)
    if (hot) return hot
    const encoded = await this.options.cache.get(key)
    if (encoded === undefined) return undefined
    const entry = JSON.parse(encoded) as Stamped<ColumnarBars>
    this.decoded.set(key, entry, { ttl: Math.max(1, entry.fresh + this.stale.staleIfErrorMs - this.options.clock.now()) })
    return entry
  }

  /** Whether every chunk is in the caches and fresh. */
  async allFresh(chunks: readonly Chunk[], caller: CallerContext, rthOnly: boolean): Promise<boolean> {
    const now = this.options.clock.now()
    const entries = await Promise.all(chunks.map((c) => this.peek(c, caller, rthOnly)))
    return entries.every((e) => e !== undefined && isFresh(e, now))
  }

  async load(chunk: Chunk, caller: CallerContext, rthOnly: boolean): Promise<ChunkLoad> {
    const { onChunk, clock } = this.options
    const entry = await this.peek(chunk, caller, rthOnly)
    const now = clock.now()
    if (entry && isFresh(entry, now)) {
      onChunk?.({ kind: chunk.kind, result: 'hit' })
      if (dueForRevalidation(this.stale, entry, now)) this.refresh([chunk], caller, rthOnly)
      return { bars: entry.value, fetched: false }
    }
    onChunk?.({ kind: chunk.kind, result: 'miss' })
    const key = this.key(chunk, caller.scope, rthOnly)
    try {
      return await this.flights.do(key, () => this.fill(key, chunk, caller, rthOnly, false))
    } catch (err) {
      if (entry && isUpstreamOutage(err) && usableWhenOut(this.stale, entry, now)) {
        onChunk?.({ kind: chunk.kind, result: 'stale' })
        return { bars: entry.value, fetched: false, staleAgeMs: now - entry.at }
      }
      throw err
    }
  }

  /**
   * Fetches `chunks` again in the background (bounded concurrency, single-flight with requests), whether or
   * not they are fresh; resolves when all are done, never rejects.
   */
  refresh(chunks: readonly Chunk[], caller: CallerContext, rthOnly: boolean): Promise<void> {
    return this.inBackground(chunks, caller, rthOnly, (chunk, key) => {
      this.options.onChunk?.({ kind: chunk.kind, result: 'refresh' })
      return this.flights.do(key, () => this.fill(key, chunk, caller, rthOnly, true))
    })
  }

  /** Loads `chunks` into the caches in the background (those already fresh cost nothing); never rejects. */
  prefetch(chunks: readonly Chunk[], caller: CallerContext, rthOnly: boolean): Promise<void> {
    return this.inBackground(chunks, caller, rthOnly, (chunk) => this.load(chunk, caller, rthOnly))
  }

  /**
   * Queues background work per chunk: a chunk already queued is not queued again, and past
   * `backgroundQueueMax` jobs new work is skipped (it is only ever an optimisation), so the queue stays
   * bounded however many distinct charts are asked for.
   */
  private inBackground(
    chunks: readonly Chunk[],
    caller: CallerContext,
    rthOnly: boolean,
    work: (chunk: Chunk, key: string) => Promise<unknown>,
  ): Promise<void> {
    const limit = this.options.backgroundConcurrency ?? 2
    const max = this.options.backgroundQueueMax ?? 1000
    const jobs: Promise<void>[] = []
    for (const chunk of chunks) {
      const key = this.key(chunk, caller.scope, rthOnly)
      if (this.queuedKeys.has(key) || this.backgroundQueue.length >= max) continue
      this.queuedKeys.add(key)
      jobs.push(
        new Promise<void>((resolve) => {
          this.backgroundQueue.push(() => {
            this.queuedKeys.delete(key)
            return work(chunk, key).then(
              () => resolve(),
              () => resolve(),
            )
          })
        }),
      )
    }
    const pump = () => {
      while (this.backgroundRunning < limit && this.backgroundQueue.length) {
        const job = this.backgroundQueue.shift() as () => Promise<void>
        this.backgroundRunning++
        void job().finally(() => {
          this.backgroundRunning--
          pump()
          if (this.backgroundRunning === 0 && this.backgroundQueue.length === 0) for (const w of this.idleWaiters.splice(0)) w()
        })
      }
    }
    pump()
    return Promise.all(jobs).then(() => undefined)
  }

  /** Memory held by decoded chunks, as accounted against `memoryBytes`. */
  get bytes(): number {
    return this.decoded.calculatedSize
  }

  /** Resolves once no background fill or refresh is queued or running (for tests and shutdown). */
  whenIdle(): Promise<void> {
    if (this.backgroundRunning === 0 && this.backgroundQueue.length === 0) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  private async fill(key: string, chunk: Chunk, caller: CallerContext, rthOnly: boolean, force: boolean): Promise<ChunkLoad> {
    const { cache, clock } = this.options
    const lockTtl = this.options.lockWaitMs ?? 10_000
    const asked = clock.now()
    const newer = (v: string | undefined): Stamped<ColumnarBars> | undefined => {
      if (v === undefined) return undefined
      const e = JSON.parse(v) as Stamped<ColumnarBars>
      return e.at >= asked || (!force && isFresh(e, clock.now())) ? e : undefined
    }
    const token = cache.acquireLock ? await cache.acquireLock(key, lockTtl) : 'local'
    if (token === undefined) {
      // Another instance is filling this chunk: wait for its value rather than asking the upstream too.
      const deadline = clock.now() + lockTtl
      while (clock.now() < deadline) {
        await sleep(clock, 25)
        const e = newer(await cache.get(key))
        if (e) {
          this.options.onChunk?.({ kind: chunk.kind, result: 'shared-fill' })
          this.decoded.set(key, e, { ttl: storeTtl(this.stale, e.fresh - clock.now()) })
          return { bars: e.value, fetched: false }
        }
      }
    }
    try {
      // Re-check: the value may have landed between our miss and the lock.
      const landed = token !== undefined ? newer(await cache.get(key)) : undefined
      if (landed) return { bars: landed.value, fetched: false }
      const bars = await this.fetchChunk(chunk, caller, rthOnly)
      this.options.onChunk?.({ kind: chunk.kind, result: 'fetch' })
      const now = clock.now()
      const freshMs = this.options.ttl.ttlFor(chunk.to, now)
      const entry = stamp(bars, now, freshMs)
      await cache.set(key, JSON.stringify(entry), storeTtl(this.stale, freshMs))
      this.decoded.set(key, entry, { ttl: storeTtl(this.stale, freshMs) })
      return { bars, fetched: true }
    } finally {
      if (token !== undefined) await cache.releaseLock?.(key, token)
    }
  }

  private fetchChunk(chunk: Chunk, caller: CallerContext, rthOnly: boolean): Promise<ColumnarBars> {
    return (this.options.fetchSlot ?? unlimited)(() => this.fetchChunkNow(chunk, caller, rthOnly))
  }

  private async fetchChunkNow(chunk: Chunk, caller: CallerContext, rthOnly: boolean): Promise<ColumnarBars> {
    const { upstream } = this.options
    const q = { symbol: chunk.symbol, from: chunk.from, to: chunk.to }
    const qRth = { ...q, rth_only: rthOnly }
    const o = { headers: caller.headers }
    try {
      switch (chunk.kind) {
        case 'daily':
          return toColumnar((await upstream.dailyBars(q, o)).bars)
        case 'hour':
          return toColumnar((await upstream.hourBars(qRth, o)).bars)
        case 'minute':
          return toColumnar((await upstream.minuteBars(qRth, o)).bars)
      }
    } catch (err) {
      // The upstream says 404 for a year without data (and for an hour window without rows): no bars.
      if (upstreamStatusOf(err) === 404) return emptyBars()
      throw err
    }
  }
}

/** Memory held by decoded bars (see {@link HEAP_BYTES}). */
export const bytesOf = (b: ColumnarBars): number => HEAP_BYTES.entry + HEAP_BYTES.object + b.t.length * HEAP_BYTES.numberColumnBar
