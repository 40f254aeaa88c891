import { LRUCache } from 'lru-cache'
import type { Cache } from '../cache/cache.js'
import { TtlPolicy } from '../cache/ttl-policy.js'
import { isoSeconds } from '../contract/time.js'
import { BffError } from '../errors/bff-error.js'
import { upstreamStatusOf } from '../errors/guards.js'
import type { Upstream } from '../upstream/upstream.js'
import { type Clock, sleep, systemClock } from '../util/clock.js'
import { mapLimit } from '../util/map-limit.js'
import { SingleFlight } from '../util/single-flight.js'
import { bucketOhlc, chooseBucket } from './buckets.js'
import { type Chunk, planChunks, type SourceKind } from './chunks.js'
import { type ColumnarBars, emptyBars, mergeRange, toColumnar } from './columnar.js'
import type { ChartRequest, Timeframe } from './query.js'

export interface ChartMetadata {
  total_bars: number
  returned_bars: number
  decimated: boolean
  bucket_minutes: number
  from_date: string
  to_date: string
  cache_hit: boolean
  upstream_calls: number
  load_time_ms: number
}

export interface ChartRowBar {
  t: string
  o: number
  h: number
  l: number
  c: number
  v: number
}

export interface ChartResponse {
  symbol: string
  timeframe: Timeframe
  bars: ChartRowBar[] | { t: string[]; o: number[]; h: number[]; l: number[]; c: number[]; v: number[] }
  metadata: ChartMetadata
}

export interface ChartResult {
  response: ChartResponse
  /** The shortest TTL among the chunks used: how long the answer may be reused. */
  ttlMs: number
}

/** Who is asking: their upstream headers (credentials pass through) and the cache scope they imply. */
export interface CallerContext {
  headers?: Record<string, string>
  /** `public`, or a hash of the caller's credentials (see {@link credentialScope}). */
  scope: string
}

export interface ChartServiceOptions {
  upstream: Upstream
  cache: Cache
  ttl?: TtlPolicy
  clock?: Clock
  /** Upstream chunk fetches in flight per request (default 4). */
  concurrency?: number
  /** How long another instance's fill lock is waited for before fetching anyway (default 10 s). */
  lockWaitMs?: number
  /**
   * Bytes of decoded chunks and finished answers kept in process (default 128 MiB), so warm and
   * overlapping requests neither re-parse cached chunks nor re-run the merge and decimation.
   */
  memoryBytes?: number
  /** Observes every chunk lookup (for metrics). */
  onChunk?: (event: { kind: SourceKind; result: 'hit' | 'miss' | 'shared-fill' | 'fetch' }) => void
}

/** Thrown when the symbol has no data at all in the requested range. */
export class DatasetNotFoundError extends BffError {
  constructor(symbol: string, from: string, to: string) {
    super('DATASET_NOT_FOUND', `no ${symbol} bars between ${from} and ${to}`, { symbol, from_date: from, to_date: to })
    this.name = 'DatasetNotFoundError'
  }
}

const SOURCE: Record<Timeframe, { kind: SourceKind; baseMinutes: number }> = {
  '1D': { kind: 'daily', baseMinutes: 1440 },
  '1H': { kind: 'hour', baseMinutes: 60 },
  '1M': { kind: 'minute', baseMinutes: 1 },
  '1M_DECIMATED': { kind: 'minute', baseMinutes: 1 },
}

const CACHE_VERSION = 'v1'

/**
 * The chart-data aggregation: plans calendar-aligned chunks, serves what the cache has,
 * fetches only the missing chunks from the upstream (bounded concurrency, single-flight per instance and —
 * with a shared cache — across instances), merges, and decimates to the point budget with OHLC buckets
 * identical to the upstream's `/bars/minute_decimated`.
 *
 * @example
 * ```ts
 * const charts = new ChartService({ upstream: createUpstreamClient({ baseUrl }), cache: new MemoryCache() })
 * const { response } = await charts.getChart(parseChartQuery(params), { scope: 'public' })
 * ```
 */
export class ChartService {
  private readonly ttl: TtlPolicy
  private readonly clock: Clock
  private readonly flights = new SingleFlight<{ bars: ColumnarBars; fetched: boolean }>()
  private readonly answerFlights = new SingleFlight<ChartResult>()
  /** Decoded chunks (the Cache port holds them encoded) and finished answers, in process. */
  private readonly decoded: LRUCache<string, ColumnarBars>
  private readonly answers: LRUCache<string, ChartResponse>

  constructor(private readonly options: ChartServiceOptions) {
    this.ttl = options.ttl ?? new TtlPolicy()
    this.clock = options.clock ?? systemClock
    const bytes = options.memoryBytes ?? 128 * 1024 * 1024
    this.decoded = new LRUCache({ maxSize: bytes / 2, sizeCalculation: (b) => Math.max(1, b.t.length * 48) })
    this.answers = new LRUCache({ maxSize: bytes / 2, sizeCalculation: (r) => Math.max(1, r.metadata.returned_bars * 80) })
  }

  async getChart(req: ChartRequest, caller: CallerContext): Promise<ChartResult> {
    const started = this.clock.now()
    const answerKey = `${caller.scope}|${req.symbol}|${req.timeframe}|${req.from_date}|${req.to_date}|${req.target_points}|${req.rth_only}|${req.format}`
    const answered = this.answers.get(answerKey)
    if (answered) {
      const ttlMs = Math.max(1, this.answers.getRemainingTTL(answerKey))
      const metadata = { ...answered.metadata, cache_hit: true, upstream_calls: 0, load_time_ms: round2(this.clock.now() - started) }
      // Same bars array object: hosts may memoise its serialisation.
      return { response: { ...answered, metadata }, ttlMs }
    }
    // Identical concurrent requests share one computation (merge and decimation included).
    return this.answerFlights.do(answerKey, () => this.compute(req, caller, answerKey, started))
  }

  private async compute(req: ChartRequest, caller: CallerContext, answerKey: string, started: number): Promise<ChartResult> {
    const source = SOURCE[req.timeframe]
    const chunks = planChunks(source.kind, req.symbol, req.from_date, req.to_date)
    let upstreamCalls = 0
    let ttlMs = Number.POSITIVE_INFINITY
    const loaded = await mapLimit(chunks, this.options.concurrency ?? 4, async (chunk) => {
      const r = await this.loadChunk(chunk, caller, req.rth_only)
      if (r.fetched) upstreamCalls++
      ttlMs = Math.min(ttlMs, this.ttl.ttlFor(chunk.to, this.clock.now()))
      return r.bars
    })
    const fromMs = Date.parse(req.from_date)
    const toMs = Date.parse(req.to_date) + 86_400_000 - 1
    const all = mergeRange(loaded, fromMs, toMs)
    if (all.t.length === 0) throw new DatasetNotFoundError(req.symbol, req.from_date, req.to_date)

    let bars = all
    let bucketMinutes = source.baseMinutes
    if (all.t.length > req.target_points || req.timeframe === '1M_DECIMATED') {
      const chosen = chooseBucket(all, req.target_points, source.baseMinutes)
      if (chosen.bucket.minutes > source.baseMinutes) {
        bars = bucketOhlc(all, chosen.bucket)
        bucketMinutes = chosen.bucket.minutes
      }
    }
    const response: ChartResponse = {
      symbol: req.symbol,
      timeframe: req.timeframe,
      bars: req.format === 'columnar' ? columnarOut(bars) : rowsOut(bars),
      metadata: {
        total_bars: all.t.length,
        returned_bars: bars.t.length,
        decimated: bucketMinutes > source.baseMinutes,
        bucket_minutes: bucketMinutes,
        from_date: req.from_date,
        to_date: req.to_date,
        cache_hit: upstreamCalls === 0,
        upstream_calls: upstreamCalls,
        load_time_ms: round2(this.clock.now() - started),
      },
    }
    const finalTtl = Number.isFinite(ttlMs) ? ttlMs : this.ttl.olderMs
    this.answers.set(answerKey, response, { ttl: finalTtl })
    return { response, ttlMs: finalTtl }
  }

  /** Cache key of a chunk for a caller scope. */
  chunkKey(chunk: Chunk, scope: string, rthOnly = true): string {
    const rth = chunk.kind === 'daily' ? '' : rthOnly ? ':rth' : ':all'
    return `hewston:chart:${CACHE_VERSION}:${scope}:${chunk.kind}${rth}:${chunk.symbol}:${chunk.id}`
  }

  private async loadChunk(chunk: Chunk, caller: CallerContext, rthOnly: boolean): Promise<{ bars: ColumnarBars; fetched: boolean }> {
    const key = this.chunkKey(chunk, caller.scope, rthOnly)
    const hot = this.decoded.get(key)
    if (hot) {
      this.options.onChunk?.({ kind: chunk.kind, result: 'hit' })
      return { bars: hot, fetched: false }
    }
    const cached = await this.options.cache.get(key)
    if (cached !== undefined) {
      this.options.onChunk?.({ kind: chunk.kind, result: 'hit' })
      const bars = JSON.parse(cached) as ColumnarBars
      this.decoded.set(key, bars, { ttl: this.ttl.ttlFor(chunk.to, this.clock.now()) })
      return { bars, fetched: false }
    }
    this.options.onChunk?.({ kind: chunk.kind, result: 'miss' })
    return this.flights.do(key, () => this.fill(key, chunk, caller, rthOnly))
  }

  private async fill(
    key: string,
    chunk: Chunk,
    caller: CallerContext,
    rthOnly: boolean,
  ): Promise<{ bars: ColumnarBars; fetched: boolean }> {
    const { cache } = this.options
    const lockTtl = this.options.lockWaitMs ?? 10_000
    const token = cache.acquireLock ? await cache.acquireLock(key, lockTtl) : 'local'
    if (token === undefined) {
      // Another instance is filling this chunk: wait for its value rather than asking the upstream too.
      const deadline = this.clock.now() + lockTtl
      while (this.clock.now() < deadline) {
        await sleep(this.clock, 25)
        const v = await cache.get(key)
        if (v !== undefined) {
          this.options.onChunk?.({ kind: chunk.kind, result: 'shared-fill' })
          return { bars: JSON.parse(v) as ColumnarBars, fetched: false }
        }
      }
    }
    try {
      // Re-check: the value may have landed between our miss and the lock.
      const again = token !== undefined ? await cache.get(key) : undefined
      if (again !== undefined) return { bars: JSON.parse(again) as ColumnarBars, fetched: false }
      const bars = await this.fetchChunk(chunk, caller, rthOnly)
      this.options.onChunk?.({ kind: chunk.kind, result: 'fetch' })
      const ttl = this.ttl.ttlFor(chunk.to, this.clock.now())
      await cache.set(key, JSON.stringify(bars), ttl)
      this.decoded.set(key, bars, { ttl })
      return { bars, fetched: true }
    } finally {
      if (token !== undefined) await cache.releaseLock?.(key, token)
    }
  }

  private async fetchChunk(chunk: Chunk, caller: CallerContext, rthOnly: boolean): Promise<ColumnarBars> {
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

const round2 = (x: number) => Math.round(x * 100) / 100

function rowsOut(b: ColumnarBars): ChartRowBar[] {
  const rows = new Array<ChartRowBar>(b.t.length)
  for (let i = 0; i < b.t.length; i++) {
    rows[i] = {
      t: isoSeconds(b.t[i] as number),
      o: b.o[i] as number,
      h: b.h[i] as number,
      l: b.l[i] as number,
      c: b.c[i] as number,
      v: b.v[i] as number,
    }
  }
  return rows
}

function columnarOut(b: ColumnarBars) {
  return { t: b.t.map(isoSeconds), o: b.o, h: b.h, l: b.l, c: b.c, v: b.v }
}
