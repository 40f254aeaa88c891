import {
  type BarsResponse,
  BffError,
  type ChartRequest,
  type ChartResponse,
  ChartService,
  type Clock,
  type CreateBacktestRequest,
  type CreateBacktestResponse,
  createUpstreamClient,
  type DailyBarsResponse,
  type DecimatedBarsResponse,
  type EnrichedRunList,
  enrichRunList,
  type FlagsDocument,
  flagOverrides,
  type ListQuery,
  MemoryCache,
  parseChartQuery,
  parseRunCompleteQuery,
  type RunCompleteOptions,
  type RunCompleteResponse,
  type RunDetail,
  type RunList,
  RunService,
  systemClock,
  type TimerHandle,
  type Upstream,
} from '@hewston-bff/core'
import { EventEmitter } from 'eventemitter3'
import { compact } from './compact.js'
import { type FallbackEvent, FallbackState, isBffOutage } from './fallback.js'
import { type FlagLayers, FlagStore, type Flags, flagsFromSearch, flagsFromStorage, GROUPS, type Group } from './flags.js'
import { RunStream, type RunStreamOptions } from './run-stream.js'

export interface HewstonClientOptions {
  /** The BFF, e.g. `http://127.0.0.1:8001` (its API lives under `/api/v1`); default: the page's origin. */
  bffUrl?: string
  /** The Hewston backend itself: the rollback path when a group is direct. */
  backendUrl: string
  /** Defaults in code (the first flag source). */
  flags?: Partial<Flags>
  fetch?: typeof fetch
  /**
   * Remote flags poll interval (ms; default 5000; 0 disables polling). Polling starts with the client's
   * first call, never at creation, and never when the page's URL turns every group off (`?bff=off`).
   */
  flagsPollMs?: number
  /** How long a group stays direct after the BFF failed (ms; default 15000). */
  fallbackCooldownMs?: number
  /** Where to read `hewston-bff.flags` (default `localStorage` when there is one). */
  storage?: { getItem(key: string): string | null }
  /** The page's query string for `?bff=off` / `?bff.stream=off` (default `location.search`). */
  search?: string
  /** WebSocket constructor for streams outside browsers (e.g. `ws` in Node). */
  WebSocket?: unknown
  /** Time and timers (flag polling, fallback cooldowns); the system clock by default. */
  clock?: Clock
}

/** Per-call options: `signal` aborts the call (its request, or the wait for a shared aggregation). */
export interface CallOptions {
  signal?: AbortSignal
}

export type WithMode<T extends { metadata: object }> = T & { metadata: T['metadata'] & { mode: 'bff' | 'direct' } }

/** `getChartData`'s parameters: core's chart request, with its defaulted fields optional. */
export type ChartDataParams = Omit<ChartRequest, 'target_points' | 'rth_only' | 'format'> &
  Partial<Pick<ChartRequest, 'target_points' | 'rth_only' | 'format'>>

/** `getRunComplete`'s options: core's, every one optional (core's defaults apply). */
export type RunCompleteParams = Partial<RunCompleteOptions>

/**
 * A non-2xx answer from the BFF's aggregated endpoints (4xx are never retried direct). `code` is the
 * envelope's `error.code` when the body has one, else `HTTP_<status>`.
 */
export class HewstonApiError extends BffError {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super((body as { error?: { code?: string } })?.error?.code ?? `HTTP_${status}`, `BFF answered ${status}`, { status })
    this.name = 'HewstonApiError'
  }
}

/**
 * The BFF is up but refuses this page's origin (CORS): a deployment mistake, not an outage. The client
 * says so once (this event and `console.error`) and serves every group direct for the rest of the session.
 */
export interface ConfigErrorEvent {
  code: 'CORS_ORIGIN_NOT_ALLOWED'
  /** The page's origin, to add to the BFF's `--cors-origin`. */
  origin: string
  bffUrl: string
  message: string
}

/** The client's events and their arguments. */
export type HewstonClientEvents = {
  flags: [Flags]
  fallback: [FallbackEvent]
  recovered: [Group]
  mode: [Record<Group, 'bff' | 'direct'>]
  'config-error': [ConfigErrorEvent]
}
type Events = HewstonClientEvents

/** A query object as strings, without the values that send nothing ({@link compact}). */
const toStrings = (o: object): Record<string, string> => Object.fromEntries(Object.entries(compact(o)).map(([k, v]) => [k, String(v)]))

/** Rejects with the signal's reason once it aborts (work shared with other callers carries on). */
function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/**
 * One client for the Hewston frontend whose every call behaves the same through the BFF or straight to
 * the backend. Per-group flags decide (defaults → the BFF's remote flags → localStorage → URL → runtime);
 * a BFF outage sends the failed call once more direct and keeps the group direct for a cooldown, then
 * probes `/health` before switching back. Direct mode runs the same core aggregations here.
 *
 * @example
 * ```ts
 * const client = createHewstonClient({ bffUrl: location.origin, backendUrl: 'http://127.0.0.1:8000' })
 * const chart = await client.getChartData({ symbol: 'AAPL', timeframe: '1H', from_date: '2024-10-01', to_date: '2024-12-31' })
 * const stream = client.openRunStream(runId, { fps: 30, speed: 60 })
 * stream.on('frame', draw).play()
 * client.flags.set({ stream: false }) // the open stream moves to direct mode and resumes where it was
 * ```
 */
export class HewstonClient extends EventEmitter<Events> {
  readonly flags: FlagStore
  private readonly fallback: FallbackState
  private readonly viaBff: Upstream
  private readonly direct: Upstream
  private readonly charts: ChartService
  private readonly runs: RunService
  private readonly streams = new Set<RunStream>()
  private readonly fetchImpl: typeof fetch
  private poll: TimerHandle | undefined
  private polling = false
  private readonly clock: Clock
  private readonly bffUrl: string
  private readonly backendUrl: string
  /** Set once the BFF refused this page's origin: every group goes direct, without outage cooldowns. */
  private configError: ConfigErrorEvent | undefined

  constructor(private readonly options: HewstonClientOptions) {
    super()
    const g = globalThis as { localStorage?: { getItem(k: string): string | null }; location?: { search?: string; origin?: string } }
    this.bffUrl = checkedUrl('bffUrl', options.bffUrl ?? g.location?.origin, 'the page has no origin to default to')
    this.backendUrl = checkedUrl('backendUrl', options.backendUrl, 'the Hewston backend, for direct mode')
    this.fetchImpl = options.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a))
    const storage = options.storage ?? g.localStorage
    this.flags = new FlagStore({
      defaults: options.flags ?? {},
      storage: flagsFromStorage(storage),
      url: flagsFromSearch(options.search ?? g.location?.search ?? ''),
    })
    this.viaBff = createUpstreamClient({ baseUrl: `${this.bffUrl}/api/v1`, fetch: this.fetchImpl })
    this.direct = createUpstreamClient({ baseUrl: this.backendUrl, fetch: this.fetchImpl })
    const cache = new MemoryCache({ maxBytes: 32 * 1024 * 1024 })
    this.charts = new ChartService({ upstream: this.direct, cache })
    this.runs = new RunService({ upstream: this.direct, charts: this.charts, cache })
    this.clock = options.clock ?? systemClock
    this.fallback = new FallbackState(options.fallbackCooldownMs ?? 15_000, () => this.probe(), this.clock)
    this.fallback.on('fallback', (e) => {
      this.emit('fallback', e)
      if (e.group === 'stream') for (const s of this.streams) s.switchTo('direct')
      this.publish()
    })
    this.fallback.on('recovered', (group) => {
      this.emit('recovered', group)
      if (group === 'stream' && this.flags.get().stream) for (const s of this.streams) s.switchTo('bff')
      this.publish()
    })
    this.flags.on('flags', (flags) => {
      this.emit('flags', flags)
      for (const s of this.streams) s.switchTo(this.streamMode())
      this.publish()
    })
    this.publish()
  }

  /** Where each group goes right now. */
  modes(): Record<Group, 'bff' | 'direct'> {
    const f = this.flags.get()
    return Object.fromEntries(GROUPS.map((g) => [g, f[g] && !this.configError && !this.fallback.isDirect(g) ? 'bff' : 'direct'])) as Record<
      Group,
      'bff' | 'direct'
    >
  }

  // —— drop-in equivalents of the frontend's current calls (group `proxy`) ——
  listBacktests(query: ListQuery = {}, options: CallOptions = {}): Promise<RunList> {
    return this.call('proxy', (u) => u.listBacktests(compact(query), options))
  }
  getRunDetail(runId: string, options: CallOptions = {}): Promise<RunDetail> {
    return this.call('proxy', (u) => u.getRun(runId, options))
  }
  createBacktest(request: CreateBacktestRequest, idempotencyKey?: string, options: CallOptions = {}): Promise<CreateBacktestResponse> {
    return this.call('proxy', (u) => u.createBacktest(request, idempotencyKey, options))
  }
  fetchDaily(symbol: string, from?: string, to?: string, options: CallOptions = {}): Promise<DailyBarsResponse> {
    return this.call('proxy', (u) => u.dailyBars({ symbol, from: from || undefined, to: to || undefined }, options))
  }
  fetchMinute(symbol: string, from: string, to: string, rth_only = true, options: CallOptions = {}): Promise<BarsResponse> {
    return this.call('proxy', (u) => u.minuteBars({ symbol, from, to, rth_only }, options))
  }
  fetchHour(symbol: string, from: string, to: string, rth_only = true, options: CallOptions = {}): Promise<BarsResponse> {
    return this.call('proxy', (u) => u.hourBars({ symbol, from, to, rth_only }, options))
  }
  fetchMinuteDecimated(
    symbol: string,
    from: string,
    to: string,
    target?: number,
    rth_only = true,
    options: CallOptions = {},
  ): Promise<DecimatedBarsResponse> {
    return this.call('proxy', (u) => u.minuteDecimatedBars({ symbol, from, to, target, rth_only }, options))
  }

  // —— aggregated calls ——
  getChartData(params: ChartDataParams, options: CallOptions = {}): Promise<WithMode<ChartResponse>> {
    const q = toStrings(params)
    return this.aggregate(
      'chartData',
      (signal) => this.getJson<ChartResponse>(`/api/v1/chart-data?${new URLSearchParams(q)}`, signal),
      async () => (await this.charts.getChart(parseChartQuery(q), { scope: 'public' })).response,
      options.signal,
    )
  }

  getRunComplete(runId: string, params: RunCompleteParams = {}, options: CallOptions = {}): Promise<WithMode<RunCompleteResponse>> {
    const q = toStrings(params)
    return this.aggregate(
      'runData',
      (signal) => this.getJson<RunCompleteResponse>(`/api/v1/runs/${encodeURIComponent(runId)}/complete?${new URLSearchParams(q)}`, signal),
      async () => {
        const { options: o } = parseRunCompleteQuery(runId, q)
        return this.runs.getComplete(runId, o, { scope: 'public' })
      },
      options.signal,
    )
  }

  listRuns(query: ListQuery = {}, options: CallOptions = {}): Promise<WithMode<EnrichedRunList>> {
    const q = toStrings(query)
    return this.aggregate(
      'runData',
      (signal) => this.getJson<EnrichedRunList>(`/api/v1/runs?${new URLSearchParams(q)}`, signal),
      async () => enrichRunList(await this.direct.listBacktests(compact(query), { signal: options.signal }), undefined),
      options.signal,
    )
  }

  /**
   * A playback stream; it follows the `stream` flag and the BFF's health, resuming at its position.
   * `signal` closes it.
   */
  openRunStream(runId: string, options: RunStreamOptions & CallOptions = {}): RunStream {
    this.startPolling()
    const { signal, ...streamOptions } = options
    const stream = new RunStream(runId, streamOptions, this.streamMode(), {
      bffUrl: this.bffUrl,
      direct: this.direct,
      WebSocket: this.options.WebSocket,
      clock: this.clock,
      onBffTrouble: async () => {
        if (await this.probe()) return false
        this.fallback.trip('stream', 'BFF stream connection lost and /health failed')
        return true
      },
    })
    this.streams.add(stream)
    stream.on('end', () => this.streams.delete(stream))
    stream.on('closed', () => this.streams.delete(stream))
    if (signal?.aborted) stream.close()
    else signal?.addEventListener('abort', () => stream.close(), { once: true })
    return stream
  }

  /** Stops polling and closes open streams. */
  dispose(): void {
    if (this.poll !== undefined) this.clock.clearInterval(this.poll)
    for (const s of this.streams) s.close()
  }

  /**
   * Polls the BFF's flags from the first call on (never at creation: an app that only imports the client
   * makes no request), unless polling is off or the page's URL sends every group direct (`?bff=off`).
   */
  private startPolling(): void {
    if (this.polling) return
    this.polling = true
    const pollMs = this.options.flagsPollMs ?? 5000
    const url = this.flags.snapshot().url
    if (pollMs <= 0 || GROUPS.every((g) => url[g] === false)) return
    void this.refreshRemoteFlags()
    this.poll = this.clock.setInterval(() => void this.refreshRemoteFlags(), pollMs)
  }

  /** Re-reads the BFF's flags document now (also done every `flagsPollMs`). */
  async refreshRemoteFlags(): Promise<void> {
    try {
      const res = await this.fetchImpl(`${this.bffUrl}/api/v1/flags`, { signal: AbortSignal.timeout(2000) })
      if (!res.ok) return
      const doc = (await res.json()) as Partial<FlagsDocument>
      this.flags.setRemote(flagOverrides(doc.flags))
    } catch (err) {
      // The BFF is away (keep the last known remote flags), or refuses this page's origin (say so).
      await this.isOriginRefused(err)
    }
  }

  private streamMode(): 'bff' | 'direct' {
    return this.flags.get().stream && !this.configError && !this.fallback.isDirect('stream') ? 'bff' : 'direct'
  }

  /**
   * After a network-level failure of a request to the BFF from a page of another origin: is the BFF
   * actually up and refusing this origin (CORS)? An opaque `no-cors` request to `/livez` answers that — the
   * browser lets it through without CORS headers, so it succeeds exactly when the BFF is reachable.
   */
  private async isOriginRefused(err: unknown): Promise<boolean> {
    if (this.configError) return true
    const g = globalThis as { location?: { origin?: string }; document?: unknown }
    const origin = g.location?.origin
    if (!origin || typeof g.document === 'undefined' || !isNetworkFailure(err)) return false
    if (origin === new URL(this.bffUrl).origin) return false
    try {
      await this.fetchImpl(`${this.bffUrl}/livez`, { mode: 'no-cors', cache: 'no-store', signal: AbortSignal.timeout(2000) })
    } catch {
      return false // not reachable at all: an outage
    }
    if (this.configError) return true
    const message =
      `Hewston BFF at ${this.bffUrl} refuses requests from ${origin} (CORS): start it with --cors-origin ${origin} ` +
      `(or add it to HEWSTON_CORS_ORIGINS). Until then every call goes straight to the backend.`
    this.configError = { code: 'CORS_ORIGIN_NOT_ALLOWED', origin, bffUrl: this.bffUrl, message }
    console.error(message)
    this.emit('config-error', this.configError)
    for (const s of this.streams) s.switchTo('direct')
    this.publish()
    return true
  }

  private async probe(): Promise<boolean> {
    try {
      const res = await this.fetchImpl(`${this.bffUrl}/health`, { signal: AbortSignal.timeout(1500) })
      return res.status === 200
    } catch {
      return false
    }
  }

  private async useBff(group: Group): Promise<boolean> {
    this.startPolling()
    if (!this.flags.get()[group] || this.configError) return false
    const allowed = await this.fallback.bffAllowed(group)
    if (allowed && group === 'stream') for (const s of this.streams) s.switchTo('bff')
    return allowed
  }

  private async call<T>(group: Group, fn: (u: Upstream) => Promise<T>): Promise<T> {
    if (!(await this.useBff(group))) return fn(this.direct)
    try {
      return await fn(this.viaBff)
    } catch (err) {
      if ((err as Error)?.name === 'AbortError' || !isBffOutage(err)) throw err
      if (!(await this.isOriginRefused(err))) this.fallback.trip(group, (err as Error).message)
      return fn(this.direct)
    }
  }

  private async aggregate<T extends { metadata: object }>(
    group: Group,
    bff: (signal: AbortSignal | undefined) => Promise<T>,
    direct: () => Promise<T>,
    signal: AbortSignal | undefined,
  ): Promise<WithMode<T>> {
    const withMode = (r: T, mode: 'bff' | 'direct') => ({ ...r, metadata: { ...r.metadata, mode } }) as WithMode<T>
    // Direct aggregations are shared (single-flight, caches): an abort stops this caller's wait, not the work.
    const directly = async () => withMode(await abortable(direct(), signal), 'direct')
    if (!(await this.useBff(group))) return directly()
    try {
      return withMode(await bff(signal), 'bff')
    } catch (err) {
      if (signal?.aborted || !isBffOutage(err)) throw err
      if (!(await this.isOriginRefused(err))) this.fallback.trip(group, (err as Error).message)
      return directly()
    }
  }

  private async getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
    const res = await this.fetchImpl(`${this.bffUrl}${path}`, { signal })
    const body = (await res.json().catch(() => null)) as unknown
    if (!res.ok) throw new HewstonApiError(res.status, body)
    return body as T
  }

  /** Current flags and modes for dev tools (`window.__HEWSTON_BFF__`) and a `mode` event. */
  private publish(): void {
    const modes = this.modes()
    const g = globalThis as { window?: unknown; __HEWSTON_BFF__?: unknown }
    if (typeof g.window !== 'undefined') g.__HEWSTON_BFF__ = { flags: this.flags.get(), modes, layers: this.flags.snapshot() }
    this.emit('mode', modes)
  }
}

/** A URL option, checked when the client is created: a clear error naming the option. */
function checkedUrl(name: string, value: string | undefined, what: string): string {
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`createHewstonClient: option "${name}" is required (${what}), e.g. "http://127.0.0.1:8001"`)
  try {
    new URL(value)
  } catch {
    throw new TypeError(`createHewstonClient: option "${name}" must be an absolute http(s) URL, got ${JSON.stringify(value)}`)
  }
  return value.replace(/\/+$/, '')
}

/** fetch's own failure (no HTTP answer at all), bare or wrapped by the upstream client. */
function isNetworkFailure(err: unknown): boolean {
  for (let e = err as { cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e instanceof TypeError) return true
  }
  return false
}

/** Creates a {@link HewstonClient}. */
export function createHewstonClient(options: HewstonClientOptions): HewstonClient {
  return new HewstonClient(options)
}

export type { FlagLayers }
