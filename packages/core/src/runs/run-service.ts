import { ExponentialBackoff, handleWhen, retry } from 'cockatiel'
import { LRUCache } from 'lru-cache'
import type { Cache } from '../cache/cache.js'
import { HEAP_BYTES } from '../cache/heap-bytes.js'
import { DEFAULT_STALE_POLICY, isFresh, type StalePolicy, type Stamped, stamp, storeTtl, usableWhenOut } from '../cache/stale.js'
import { type CallerContext, type ChartResponse, type ChartService, chartAnswerBytes } from '../chart/chart-service.js'
import type { RunDetail } from '../contract/backtests.js'
import { epochMs, isoSeconds } from '../contract/time.js'
import { isBffError } from '../errors/bff-error.js'
import { isTransientUpstreamError, isUpstreamOutage, upstreamStatusOf } from '../errors/guards.js'
import type { Upstream } from '../upstream/upstream.js'
import { type Clock, systemClock } from '../util/clock.js'
import { SingleFlight } from '../util/single-flight.js'
import { type Slot, unlimited } from '../util/slot.js'
import { decimateEquity } from './decimate-equity.js'
import { ArtifactError, RunNotFoundError } from './errors.js'
import { completeMetrics, computeMetrics, type EquityPoint, hasAllRunMetrics } from './metrics.js'
import type { ArtifactSource, ArtifactTable, MetricsCatalog } from './ports.js'
import type { RunCompleteOptions } from './query.js'
import { readRunStream, type StreamedRun } from './sse-timeline.js'

export type PartName = 'metrics' | 'equity' | 'orders' | 'fills' | 'chart'
export interface FailedSource {
  source: PartName
  code: string
  message: string
}

export interface RunCompleteResponse {
  run: RunDetail
  metrics: Record<string, number | null> | null
  equity: EquityPoint[] | null
  orders: Record<string, unknown>[] | null
  fills?: Record<string, unknown>[] | null
  chart?: ChartResponse | null
  metadata: {
    load_time_ms: number
    cache_hit: boolean
    upstream_calls: number
    sources: {
      run: 'upstream'
      metrics: string | null
      equity: string | null
      orders: string | null
      fills?: string | null
      chart?: string | null
    }
    partial_data: boolean
    failed_sources: FailedSource[]
    /** Sources that failed but whose part was then served from the next source. */
    fallbacks: FailedSource[]
    equity_points: number
    equity_total_points: number
    orders_count: number
    /** Present and true when the upstream was out and an answer past its freshness stood in. */
    stale?: boolean
    /** With `stale`: how old that answer is, in seconds. */
    age_s?: number
  }
}

export interface RunServiceOptions {
  /** Run details and the run stream (the fallback source of equity and orders), with the caller's credentials. Pass it through the breaker. */
  upstream: Upstream
  /** Run artifacts; absent (a browser, a BFF without --root) → equity/orders come from the stream. */
  artifacts?: ArtifactSource
  catalog?: MetricsCatalog
  /** For `include_chart`. */
  charts?: ChartService
  cache: Cache
  clock?: Clock
  /**
   * How long a successful authorisation (the run detail, fetched with the caller's credentials) is trusted
   * for that credential scope and run: warm answers inside it need no upstream call (default 30 s; 0 asks
   * the upstream on every request — the strict mode). A 401/403/404 drops it at once.
   */
  authTtlMs?: number
  /** Runs each read of a run's whole SSE stream (the source of equity and orders without artifacts): a shared limiter bounds them. */
  streamSlot?: Slot
  /** Memory for decoded answers and remembered authorisations kept in process (default 64 MiB; an eighth for authorisations). */
  memoryBytes?: number
  /** Stale-if-error allowance (default a day): answers and authorisations this long past freshness stand in while the upstream is out. */
  stale?: StalePolicy
  /** Cache TTL of QUEUED/RUNNING runs (default 5 s) and of finished ones (default 1 h). */
  activeTtlMs?: number
  doneTtlMs?: number
  /** Attempts for transient upstream failures (default 3, backoff from 100 ms). */
  retryAttempts?: number
  /** Observes every upstream call the service makes (for metrics). */
  onUpstreamCall?: (kind: 'run' | 'stream') => void
}

type Loaded<T> = { ok: true; value: T; source: string } | { ok: false; failure: FailedSource }

/**
 * The complete-run aggregation: the run detail (always fetched upstream with the caller's
 * credentials — authorisation first), then metrics, equity, orders, fills and chart loaded concurrently
 * from the best available source, each part failing alone. Results are cached per caller scope and
 * artifact version; identical concurrent requests share one load.
 *
 * @example
 * ```ts
 * const runs = new RunService({ upstream, cache: new MemoryCache() })
 * const page = await runs.getComplete(runId, parseRunCompleteQuery(runId, {}).options, { scope: 'public' })
 * ```
 */
export class RunService {
  private readonly clock: Clock
  private readonly flights = new SingleFlight<RunCompleteResponse>()
  /** Built answers kept decoded in process, in front of the (encoded) Cache port. */
  private readonly hot: LRUCache<string, Stamped<RunCompleteResponse>>
  /** Authorisations: the run detail a credential scope last got for a run, with its freshness. */
  private readonly auth: LRUCache<string, Stamped<RunDetail>>
  private readonly authFlights = new SingleFlight<RunDetail>()
  private readonly stale: StalePolicy
  private readonly retryPolicy

  constructor(private readonly options: RunServiceOptions) {
    this.clock = options.clock ?? systemClock
    this.stale = options.stale ?? DEFAULT_STALE_POLICY
    const bytes = options.memoryBytes ?? 64 * 1024 * 1024
    this.hot = new LRUCache({ maxSize: Math.max(1, Math.floor((bytes * 7) / 8)), sizeCalculation: (e) => runAnswerBytes(e.value) })
    this.auth = new LRUCache({ maxSize: Math.max(1, Math.floor(bytes / 8)), sizeCalculation: () => RUN_DETAIL_BYTES })
    this.retryPolicy = retry(handleWhen(isTransientUpstreamError), {
      maxAttempts: Math.max(0, (options.retryAttempts ?? 3) - 1),
      backoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 1000 }),
    })
  }

  async getComplete(runId: string, opts: RunCompleteOptions, caller: CallerContext): Promise<RunCompleteResponse> {
    const started = this.clock.now()
    const authKey = `${caller.scope}|${runId}`
    try {
      return await this.complete(runId, opts, caller, authKey, started)
    } catch (err) {
      this.forgetIfRefused(err, authKey)
      throw err
    }
  }

  /** Memory held in process (answers and authorisations), as accounted against `memoryBytes`. */
  get bytes(): number {
    return this.hot.calculatedSize + this.auth.calculatedSize
  }

  /**
   * Whether the caller may see the run, with the same memory as {@link getComplete} (no upstream call while
   * a successful authorisation is fresh). Resolves to the run detail; rejects with {@link RunNotFoundError}
   * or the upstream's 401/403, or with the outage when the upstream is out and nothing is remembered.
   */
  async authorize(runId: string, caller: CallerContext): Promise<RunDetail> {
    const authKey = `${caller.scope}|${runId}`
    try {
      return (await this.authorise(runId, caller, authKey)).run
    } catch (err) {
      this.forgetIfRefused(err, authKey)
      throw err
    }
  }

  /** The caller may no longer see this run: forget that it could. */
  private forgetIfRefused(err: unknown, authKey: string): void {
    const status = upstreamStatusOf(err)
    if (status === 401 || status === 403 || status === 404 || err instanceof RunNotFoundError) this.auth.delete(authKey)
  }

  private async complete(
    runId: string,
    opts: RunCompleteOptions,
    caller: CallerContext,
    authKey: string,
    started: number,
  ): Promise<RunCompleteResponse> {
    const { run, upstreamCalls, outage } = await this.authorise(runId, caller, authKey)
    const key = `hewston:run:v2:${caller.scope}:${runId}:${flagKey(opts)}:${await this.version(run)}`
    const hit = await this.cached(key)
    const now = this.clock.now()
    const done = (r: RunCompleteResponse, extra: Partial<RunCompleteResponse['metadata']>): RunCompleteResponse => ({
      ...r,
      run,
      metadata: { ...r.metadata, upstream_calls: upstreamCalls, ...extra, load_time_ms: round2(this.clock.now() - started) },
    })
    const staleOk = (e: Stamped<RunCompleteResponse>) => usableWhenOut(this.stale, e, now)
    const asStale = (e: Stamped<RunCompleteResponse>) =>
      done(e.value, { cache_hit: true, stale: true, age_s: Math.floor((now - e.at) / 1000) })
    if (hit && isFresh(hit, now)) return done(hit.value, { cache_hit: true })
    // The upstream is out and only known the caller was allowed: the last answer, marked stale.
    if (outage) {
      if (hit && staleOk(hit)) return asStale(hit)
      throw outage
    }
    try {
      const built = await this.flights.do(key, async () => {
        const r = await this.build(run, opts, caller)
        // A part the upstream refused for these credentials: the authorisation is no longer trusted either.
        if (r.metadata.failed_sources.some((f) => /^UPSTREAM_40[134]$/.test(f.code))) this.auth.delete(authKey)
        const entry = stamp(r, this.clock.now(), this.ttlOf(run, r))
        await this.options.cache.set(key, JSON.stringify(entry), storeTtl(this.stale, this.ttlOf(run, r)))
        this.hot.set(key, entry, { ttl: storeTtl(this.stale, this.ttlOf(run, r)) })
        return r
      })
      return done(built, { upstream_calls: built.metadata.upstream_calls + upstreamCalls })
    } catch (err) {
      if (hit && isUpstreamOutage(err) && staleOk(hit)) return asStale(hit)
      throw err
    }
  }

  /**
   * The run detail with the caller's credentials: from the authorisation memory while it is fresh (no
   * upstream call), else from the upstream. When the upstream is out, a remembered authorisation still
   * counts for stale answers (`outage` is set; nothing new is built then).
   */
  private async authorise(
    runId: string,
    caller: CallerContext,
    authKey: string,
  ): Promise<{ run: RunDetail; upstreamCalls: number; outage?: unknown }> {
    const known = this.auth.get(authKey)
    const now = this.clock.now()
    const ttl = this.options.authTtlMs ?? 30_000
    if (known && ttl > 0 && isFresh(known, now)) return { run: known.value, upstreamCalls: 0 }
    let upstreamCalls = 0
    try {
      const ask = async () => {
        const detail = await this.retryPolicy.execute(() => {
          upstreamCalls++
          this.options.onUpstreamCall?.('run')
          return this.options.upstream.getRun(runId, { headers: caller.headers })
        })
        if (ttl > 0) this.auth.set(authKey, stamp(detail, this.clock.now(), ttl), { ttl: storeTtl(this.stale, ttl) })
        return detail
      }
      // Concurrent requests of one credential scope for one run share one authorisation call (not in strict mode).
      const run = ttl > 0 ? await this.authFlights.do(authKey, ask) : await ask()
      return { run, upstreamCalls }
    } catch (err) {
      if (upstreamStatusOf(err) === 404) throw new RunNotFoundError(runId)
      if (known && isUpstreamOutage(err) && usableWhenOut(this.stale, known, now)) return { run: known.value, upstreamCalls, outage: err }
      throw err
    }
  }

  /** An answer from the caches, fresh or not. */
  private async cached(key: string): Promise<Stamped<RunCompleteResponse> | undefined> {
    const hot = this.hot.get(key)
    if (hot) return hot
    const encoded = await this.options.cache.get(key)
    if (encoded === undefined) return undefined
    const entry = JSON.parse(encoded) as Stamped<RunCompleteResponse>
    this.hot.set(key, entry, { ttl: Math.max(1, entry.fresh + this.stale.staleIfErrorMs - this.clock.now()) })
    return entry
  }

  /** Short for runs still moving (and for partial answers, which may heal), long for finished ones. */
  private ttlOf(run: RunDetail, r: RunCompleteResponse): number {
    const active = r.metadata.partial_data || run.status === 'QUEUED' || run.status === 'RUNNING'
    return active ? (this.options.activeTtlMs ?? 5000) : (this.options.doneTtlMs ?? 3_600_000)
  }

  /** Status plus size/mtime of each artifact: a change in any of them is a new cache entry. */
  private async version(run: RunDetail): Promise<string> {
    const parts = [run.status]
    const { artifacts } = this.options
    if (artifacts) {
      for (const p of Object.values(run.artifacts ?? {})) {
        if (!p) continue
        const st = await artifacts.stat(p).catch(() => undefined)
        parts.push(st ? `${st.size}.${Math.round(st.mtimeMs)}` : '-')
      }
    }
    return parts.join(':')
  }

  private async build(run: RunDetail, opts: RunCompleteOptions, caller: CallerContext): Promise<RunCompleteResponse> {
    let upstreamCalls = 0
    const fallbacks: FailedSource[] = []
    const { artifacts, catalog } = this.options

    // One stream read at most, shared by every part that needs it.
    let stream: Promise<StreamedRun> | undefined
    const streamed = () =>
      (stream ??= this.retryPolicy.execute(() => {
        upstreamCalls++
        this.options.onUpstreamCall?.('stream')
        return (this.options.streamSlot ?? unlimited)(() => readRunStream(this.options.upstream, run.run_id, { headers: caller.headers }))
      }))

    const fromArtifactOrStream = async <T>(
      part: 'equity' | 'orders',
      path: string | null,
      fromTable: (t: ArtifactTable) => T,
      fromStream: (s: StreamedRun) => T,
    ): Promise<Loaded<T>> => {
      if (artifacts && path) {
        try {
          return { ok: true, value: fromTable(await artifacts.readTable(path)), source: 'artifact' }
        } catch (err) {
          fallbacks.push(failure(part, err))
        }
      }
      try {
        return { ok: true, value: fromStream(await streamed()), source: 'stream' }
      } catch (err) {
        const f = failure(part, err)
        const artifactFailure = fallbacks.find((x) => x.source === part)
        if (artifactFailure) {
          fallbacks.splice(fallbacks.indexOf(artifactFailure), 1)
          return {
            ok: false,
            failure: { ...artifactFailure, message: `${artifactFailure.message}; stream fallback failed: ${f.code}: ${f.message}` },
          }
        }
        return { ok: false, failure: f }
      }
    }

    // The backend may name no artifacts at all (null), or leave a path out.
    const paths = {
      metrics: run.artifacts?.metrics_path ?? null,
      equity: run.artifacts?.equity_path ?? null,
      orders: run.artifacts?.orders_path ?? null,
      fills: run.artifacts?.fills_path ?? null,
    }
    let equityLoad: Promise<Loaded<EquityPoint[]>> | undefined
    const equity = () => (equityLoad ??= fromArtifactOrStream('equity', paths.equity, tableToEquity, (s) => s.equity))

    /** metrics.json or the catalog row, if either has them (failures noted as fallbacks). */
    const storedMetrics = async (): Promise<{ value: Record<string, number | null>; source: string } | undefined> => {
      if (artifacts && paths.metrics) {
        try {
          const m = await artifacts.readJson(paths.metrics)
          if (!isMetricsObject(m)) throw new ArtifactError('ARTIFACT_UNREADABLE', paths.metrics, 'metrics.json is not an object of numbers')
          return { value: m, source: 'artifact' }
        } catch (err) {
          fallbacks.push(failure('metrics', err))
        }
      }
      if (catalog) {
        try {
          const m = await catalog.metrics(run.run_id)
          if (m) {
            const { computed_at: _c, ...values } = m
            return { value: values, source: 'catalog' }
          }
        } catch (err) {
          fallbacks.push(failure('metrics', err))
        }
      }
      return undefined
    }

    // The same metric set in every mode: stored metrics win, the rest of RUN_METRICS comes from the equity curve.
    const metrics = async (): Promise<Loaded<Record<string, number | null>>> => {
      const stored = await storedMetrics()
      if (stored && hasAllRunMetrics(stored.value)) return { ok: true, ...stored }
      const eq = await equity()
      if (!eq.ok) {
        if (stored) return { ok: true, ...stored }
        return {
          ok: false,
          failure: {
            source: 'metrics',
            code: 'NO_METRICS_SOURCE',
            message: `no metrics artifact or catalog row, and the equity curve failed: ${eq.failure.message}`,
          },
        }
      }
      const computed = computeMetrics(eq.value)
      if (!stored) return { ok: true, value: { ...computed }, source: 'computed' }
      return { ok: true, value: completeMetrics(stored.value, computed), source: `${stored.source}+computed` }
    }

    const orders = () => fromArtifactOrStream('orders', paths.orders, tableToRecords, (s) => s.orders)
    const fills = async (): Promise<Loaded<Record<string, unknown>[]>> => {
      if (!artifacts)
        return {
          ok: false,
          failure: { source: 'fills', code: 'NO_ARTIFACT_SOURCE', message: 'fills exist only as an artifact, and no --root is configured' },
        }
      const fillsPath = paths.fills
      if (!fillsPath)
        return { ok: false, failure: { source: 'fills', code: 'ARTIFACT_MISSING', message: 'the run names no fills artifact' } }
      try {
        return { ok: true, value: tableToRecords(await artifacts.readTable(fillsPath)), source: 'artifact' }
      } catch (err) {
        return { ok: false, failure: failure('fills', err) }
      }
    }
    const chart = async (): Promise<Loaded<ChartResponse>> => {
      const symbol = /^(.*)-\d{4}-[^-]+$/.exec(run.dataset_id ?? '')?.[1]
      if (!this.options.charts || !symbol || !run.run_from || !run.run_to || !opts.include_chart) {
        return {
          ok: false,
          failure: {
            source: 'chart',
            code: 'RUN_WINDOW_UNKNOWN',
            message: 'the run has no symbol/window to chart (or charts are not configured)',
          },
        }
      }
      try {
        const r = await this.options.charts.getChart(
          {
            symbol,
            timeframe: opts.include_chart,
            from_date: run.run_from,
            to_date: run.run_to,
            target_points: 10_000,
            rth_only: true,
            format: 'rows',
          },
          caller,
        )
        upstreamCalls += r.response.metadata.upstream_calls
        return { ok: true, value: r.response, source: 'chart-data' }
      } catch (err) {
        return { ok: false, failure: failure('chart', err) }
      }
    }

    const skip = Promise.resolve(undefined)
    const [m, e, o, f, c] = await Promise.all([
      opts.include_metrics ? metrics() : skip,
      opts.include_equity ? equity() : skip,
      opts.include_orders ? orders() : skip,
      opts.include_fills ? fills() : skip,
      opts.include_chart ? chart() : skip,
    ])
    const failed: FailedSource[] = []
    const take = <T>(l: Loaded<T> | undefined): { value: T | null; source: string | null } => {
      if (!l) return { value: null, source: null }
      if (l.ok) return { value: l.value, source: l.source }
      failed.push(l.failure)
      return { value: null, source: null }
    }
    const tm = take(m)
    const te = take(e)
    const to = take(o)
    const tf = opts.include_fills ? take(f) : undefined
    const tc = opts.include_chart ? take(c) : undefined
    const fullEquity = te.value ?? []
    const shownEquity = te.value ? decimateEquity(te.value, opts.equity_points) : null
    const response: RunCompleteResponse = {
      run,
      metrics: tm.value,
      equity: shownEquity,
      orders: to.value,
      ...(tf ? { fills: tf.value } : {}),
      ...(tc ? { chart: tc.value } : {}),
      metadata: {
        load_time_ms: 0,
        cache_hit: false,
        upstream_calls: upstreamCalls,
        sources: {
          run: 'upstream',
          metrics: tm.source,
          equity: te.source,
          orders: to.source,
          ...(tf ? { fills: tf.source } : {}),
          ...(tc ? { chart: tc.source } : {}),
        },
        partial_data: failed.length > 0,
        failed_sources: failed,
        fallbacks,
        equity_points: shownEquity?.length ?? 0,
        equity_total_points: fullEquity.length,
        orders_count: to.value?.length ?? 0,
      },
    }
    return response
  }
}

function failure(source: PartName, err: unknown): FailedSource {
  if (isBffError(err))
    return { source, code: err.code === 'UPSTREAM_HTTP' ? `UPSTREAM_${upstreamStatusOf(err)}` : err.code, message: err.message }
  return { source, code: 'INTERNAL', message: (err as Error)?.message ?? String(err) }
}

const toIso = (v: unknown): string => {
  const ms = epochMs(v)
  return Number.isNaN(ms) ? String(v) : isoSeconds(ms)
}

function tableToEquity(t: ArtifactTable): EquityPoint[] {
  if (!t.columns.includes('ts_utc') || !t.columns.includes('value'))
    throw new ArtifactError('ARTIFACT_UNREADABLE', 'equity', 'equity table lacks ts_utc/value')
  return t.rows.map((r) => ({ ts: toIso(r.ts_utc), value: Number(r.value) }))
}

function tableToRecords(t: ArtifactTable): Record<string, unknown>[] {
  return t.rows.map((r) => {
    const o: Record<string, unknown> = {}
    for (const c of t.columns) o[c] = c === 'ts_utc' ? toIso(r[c]) : r[c]
    return o
  })
}

function isMetricsObject(m: unknown): m is Record<string, number | null> {
  return typeof m === 'object' && m !== null && !Array.isArray(m) && Object.values(m).every((v) => v === null || typeof v === 'number')
}

function flagKey(o: RunCompleteOptions): string {
  return `${+o.include_metrics}${+o.include_equity}${+o.include_orders}${+o.include_fills}:${o.equity_points}:${o.include_chart ?? '-'}`
}

const round2 = (x: number) => Math.round(x * 100) / 100

/** Memory held by a remembered authorisation: the run detail (a few dozen fields and parameters) and its entry. */
export const RUN_DETAIL_BYTES = HEAP_BYTES.entry + 8 * HEAP_BYTES.object

/** Memory held by an answer: the run, metrics, equity points, orders, fills and chart (see {@link HEAP_BYTES}). */
export const runAnswerBytes = (r: RunCompleteResponse): number =>
  HEAP_BYTES.entry +
  8 * HEAP_BYTES.object +
  (r.equity?.length ?? 0) * HEAP_BYTES.equityPoint +
  ((r.orders?.length ?? 0) + (r.fills?.length ?? 0)) * HEAP_BYTES.order +
  (r.chart ? chartAnswerBytes(r.chart) : 0)
