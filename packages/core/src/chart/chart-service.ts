import { LRUCache } from 'lru-cache'
import type { Cache } from '../cache/cache.js'
import { HEAP_BYTES } from '../cache/heap-bytes.js'
import { DEFAULT_STALE_POLICY, dueForRevalidation, type StalePolicy, type Stamped, stamp } from '../cache/stale.js'
import { TtlPolicy } from '../cache/ttl-policy.js'
import { isoSeconds } from '../contract/time.js'
import { BffError } from '../errors/bff-error.js'
import { isUpstreamOutage, upstreamStatusOf } from '../errors/guards.js'
import type { Upstream } from '../upstream/upstream.js'
import { type Clock, systemClock } from '../util/clock.js'
import { mapLimit } from '../util/map-limit.js'
import { SingleFlight } from '../util/single-flight.js'
import type { Slot } from '../util/slot.js'
import { bucketOhlc, chooseBucket } from './buckets.js'
import { type CallerContext, type ChunkEvent, ChunkStore } from './chunk-store.js'
import { planChunks, type SourceKind } from './chunks.js'
import { type ColumnarBars, mergeRange } from './columnar.js'
import type { ChartRequest, Timeframe } from './query.js'
import { decimateViaUpstream, type UpstreamDecimation } from './upstream-decimation.js'

export type { CallerContext } from './chunk-store.js'

export interface ChartMetadata {
  /** Minute (or hour, day) bars in the range; null while not known yet (a cold chart answered by the upstream's decimation). */
  total_bars: number | null
  returned_bars: number
  decimated: boolean
  bucket_minutes: number
  from_date: string
  to_date: string
  cache_hit: boolean
  upstream_calls: number
  load_time_ms: number
  /** Present and true when the upstream was out and cached data past its freshness stood in. */
  stale?: boolean
  /** With `stale`: the age of the oldest data used, in seconds. */
  age_s?: number
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

export interface ChartServiceOptions {
  upstream: Upstream
  cache: Cache
  ttl?: TtlPolicy
  clock?: Clock
  /** Upstream chunk fetches in flight per request (default 4). */
  concurrency?: number
  /** Runs each upstream chunk fetch: a shared limiter bounds them across all requests (none by default). */
  fetchSlot?: Slot
  /** How long another instance's fill lock is waited for before fetching anyway (default 10 s). */
  lockWaitMs?: number
  /**
   * Bytes of decoded chunks and finished answers kept in process (default 128 MiB), so warm and
   * overlapping requests neither re-parse cached chunks nor re-run the merge and decimation.
   */
  memoryBytes?: number
  /** Stale-if-error allowance and revalidation window (default: a day; the last 10 % of fresh life). */
  stale?: StalePolicy
  /** Answer a cold minute chart from the upstream's own decimation, filling chunks in the background (default on). */
  upstreamDecimation?: boolean
  /** Observes every chunk lookup (for metrics). */
  onChunk?: (event: { kind: SourceKind; result: ChunkEvent }) => void
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
  private readonly stale: StalePolicy
  private readonly answerFlights = new SingleFlight<ChartResult>()
  /** Chunks: decoded in process, encoded in the Cache port. */
  readonly chunks: ChunkStore
  /** Finished answers, in process (never stale ones). */
  private readonly answers: LRUCache<string, Stamped<ChartResponse>>

  constructor(private readonly options: ChartServiceOptions) {
    this.ttl = options.ttl ?? new TtlPolicy()
    this.clock = options.clock ?? systemClock
    this.stale = options.stale ?? DEFAULT_STALE_POLICY
    const bytes = options.memoryBytes ?? 128 * 1024 * 1024
    this.chunks = new ChunkStore({
      upstream: options.upstream,
      cache: options.cache,
      ttl: this.ttl,
      clock: this.clock,
      stale: this.stale,
      lockWaitMs: options.lockWaitMs,
      fetchSlot: options.fetchSlot,
      memoryBytes: Math.floor(bytes / 2),
      onChunk: options.onChunk,
    })
    this.answers = new LRUCache({ maxSize: Math.max(1, Math.floor(bytes / 2)), sizeCalculation: (e) => chartAnswerBytes(e.value) })
  }

  async getChart(req: ChartRequest, caller: CallerContext): Promise<ChartResult> {
    const started = this.clock.now()
    const answerKey = `${caller.scope}|${req.symbol}|${req.timeframe}|${req.from_date}|${req.to_date}|${req.target_points}|${req.rth_only}|${req.format}`
    const answered = this.answers.get(answerKey)
    if (answered) {
      // Near the end of its life: refresh its chunks in the background, then let the next request rebuild
      // it from them — nobody waits for the refetch.
      if (dueForRevalidation(this.stale, answered, started)) {
        const { kind } = SOURCE[req.timeframe]
        void this.chunks
          .refresh(planChunks(kind, req.symbol, req.from_date, req.to_date), caller, req.rth_only)
          .then(() => this.answers.delete(answerKey))
      }
      const ttlMs = Math.max(1, answered.fresh - started)
      const metadata = { ...answered.value.metadata, cache_hit: true, upstream_calls: 0, load_time_ms: round2(this.clock.now() - started) }
      // Same bars array object: hosts may memoise its serialisation.
      return { response: { ...answered.value, metadata }, ttlMs }
    }
    // Identical concurrent requests share one computation (merge and decimation included).
    return this.answerFlights.do(answerKey, () => this.compute(req, caller, answerKey, started))
  }

  private async compute(req: ChartRequest, caller: CallerContext, answerKey: string, started: number): Promise<ChartResult> {
    const source = SOURCE[req.timeframe]
    const chunks = planChunks(source.kind, req.symbol, req.from_date, req.to_date)
    if (
      source.kind === 'minute' &&
      this.options.upstreamDecimation !== false &&
      !(await this.chunks.allFresh(chunks, caller, req.rth_only))
    ) {
      const fast = await this.fromUpstreamDecimation(req, caller)
      if (fast) {
        const result = this.finish(req, answerKey, started, {
          bars: fast.bars,
          total: fast.totalBars,
          bucketMinutes: fast.stride,
          baseMinutes: 1,
          upstreamCalls: fast.upstreamCalls,
          ttlMs: this.ttl.ttlFor(req.to_date, this.clock.now()),
        })
        // Fill the month chunks behind the answer, off the request's path, so other budgets, timeframes and
        // overlapping windows are served from them; the exact total is known once they are in.
        void this.chunks.prefetch(chunks, caller, req.rth_only).then(() => this.answers.delete(answerKey))
        return result
      }
    }
    let upstreamCalls = 0
    let ttlMs = Number.POSITIVE_INFINITY
    let staleAgeMs = 0
    const loaded = await mapLimit(chunks, this.options.concurrency ?? 4, async (chunk) => {
      const r = await this.chunks.load(chunk, caller, req.rth_only)
      if (r.fetched) upstreamCalls++
      if (r.staleAgeMs !== undefined) staleAgeMs = Math.max(staleAgeMs, r.staleAgeMs)
      ttlMs = Math.min(ttlMs, this.ttl.ttlFor(chunk.to, this.clock.now()))
      return r.bars
    })
    const all = mergeRange(loaded, Date.parse(req.from_date), Date.parse(req.to_date) + 86_400_000 - 1)
    let bars = all
    let bucketMinutes = source.baseMinutes
    if (all.t.length > req.target_points || req.timeframe === '1M_DECIMATED') {
      const chosen = chooseBucket(all, req.target_points, source.baseMinutes)
      if (chosen.bucket.minutes > source.baseMinutes) {
        bars = bucketOhlc(all, chosen.bucket)
        bucketMinutes = chosen.bucket.minutes
      }
    }
    return this.finish(req, answerKey, started, {
      bars,
      total: all.t.length,
      bucketMinutes,
      baseMinutes: source.baseMinutes,
      upstreamCalls,
      ttlMs: Number.isFinite(ttlMs) ? ttlMs : this.ttl.olderMs,
      staleAgeMs: staleAgeMs || undefined,
    })
  }

  /** The upstream's decimation of a cold minute chart; undefined when it does not apply (or is out: chunks may still serve stale). */
  private async fromUpstreamDecimation(req: ChartRequest, caller: CallerContext): Promise<UpstreamDecimation | undefined> {
    try {
      return await decimateViaUpstream(this.options.upstream, req, req.target_points, { headers: caller.headers })
    } catch (err) {
      if (upstreamStatusOf(err) === 404) throw new DatasetNotFoundError(req.symbol, req.from_date, req.to_date)
      if (isUpstreamOutage(err)) return undefined
      throw err
    }
  }

  private finish(
    req: ChartRequest,
    answerKey: string,
    started: number,
    a: {
      bars: ColumnarBars
      total: number | null
      bucketMinutes: number
      baseMinutes: number
      upstreamCalls: number
      ttlMs: number
      staleAgeMs?: number
    },
  ): ChartResult {
    if (a.bars.t.length === 0) throw new DatasetNotFoundError(req.symbol, req.from_date, req.to_date)
    const response: ChartResponse = {
      symbol: req.symbol,
      timeframe: req.timeframe,
      bars: req.format === 'columnar' ? columnarOut(a.bars) : rowsOut(a.bars),
      metadata: {
        total_bars: a.total,
        returned_bars: a.bars.t.length,
        decimated: a.bucketMinutes > a.baseMinutes,
        bucket_minutes: a.bucketMinutes,
        from_date: req.from_date,
        to_date: req.to_date,
        cache_hit: a.upstreamCalls === 0,
        upstream_calls: a.upstreamCalls,
        load_time_ms: round2(this.clock.now() - started),
        ...(a.staleAgeMs !== undefined ? { stale: true, age_s: Math.floor(a.staleAgeMs / 1000) } : {}),
      },
    }
    // A stale answer is not kept: the next request tries the upstream again.
    if (a.staleAgeMs === undefined) this.answers.set(answerKey, stamp(response, this.clock.now(), a.ttlMs), { ttl: Math.max(1, a.ttlMs) })
    return { response, ttlMs: a.staleAgeMs === undefined ? a.ttlMs : 0 }
  }

  /** Memory held in process (decoded chunks and answers), as accounted against `memoryBytes`. */
  get bytes(): number {
    return this.chunks.bytes + this.answers.calculatedSize
  }

  /** Cache key of a chunk for a caller scope. */
  chunkKey(...args: Parameters<ChunkStore['key']>): string {
    return this.chunks.key(...args)
  }
}

/**
 * Memory held by an answer: per bar an object, or slots in the columns, plus the serialisation a host may
 * keep beside it (see {@link HEAP_BYTES}).
 */
export const chartAnswerBytes = (r: ChartResponse): number =>
  HEAP_BYTES.entry +
  2 * HEAP_BYTES.object +
  r.metadata.returned_bars * ((Array.isArray(r.bars) ? HEAP_BYTES.rowBar : HEAP_BYTES.wireColumnBar) + HEAP_BYTES.serializedBar)

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
