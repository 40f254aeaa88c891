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
import { type FallbackEvent, FallbackState, isBffOutage } from './fallback.js'
import { type FlagLayers, FlagStore, type Flags, flagsFromSearch, flagsFromStorage, GROUPS, type Group } from './flags.js'
import { RunStream, type RunStreamOptions } from './run-stream.js'

export interface HewstonClientOptions {
  /** The BFF, e.g. `http://127.0.0.1:8001` (its API lives under `/api/v1`). */
  bffUrl: string
  /** The Hewston backend itself: the rollback path when a group is direct. */
  backendUrl: string
  /** Defaults in code (the first flag source). */
  flags?: Partial<Flags>
  fetch?: typeof fetch
  /** Remote flags poll interval (ms; default 5000; 0 disables polling). */
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

type Events = { flags: [Flags]; fallback: [FallbackEvent]; recovered: [Group]; mode: [Record<Group, 'bff' | 'direct'>] }

const toStrings = (o: object): Record<string, string> =>
  Object.fromEntries(
    Object.entries(o)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  )

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
  private readonly clock: Clock
  private readonly bffUrl: string
  private readonly backendUrl: string

  constructor(private readonly options: HewstonClientOptions) {
    super()
    this.bffUrl = options.bffUrl.replace(/\/+$/, '')
    this.backendUrl = options.backendUrl.replace(/\/+$/, '')
    this.fetchImpl = options.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a))
    const g = globalThis as { localStorage?: { getItem(k: string): string | null }; location?: { search?: string } }
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
    const pollMs = options.flagsPollMs ?? 5000
    if (pollMs > 0) {
      void this.refreshRemoteFlags()
      this.poll = this.clock.setInterval(() => void this.refreshRemoteFlags(), pollMs)
    }
    this.publish()
  }

  /** Where each group goes right now. */
  modes(): Record<Group, 'bff' | 'direct'> {
    const f = this.flags.get()
    return Object.fromEntries(GROUPS.map((g) => [g, f[g] && !this.fallback.isDirect(g) ? 'bff' : 'direct'])) as Record<
      Group,
      'bff' | 'direct'
    >
  }

  // —— drop-in equivalents of the frontend's current calls (group `proxy`) ——
  listBacktests(query?: ListQuery): Promise<RunList> {
    return this.call('proxy', (u) => u.listBacktests(query))
  }
  getRunDetail(runId: string): Promise<RunDetail> {
    return this.call('proxy', (u) => u.getRun(runId))
  }
  createBacktest(request: CreateBacktestRequest, idempotencyKey?: string): Promise<CreateBacktestResponse> {
    return this.call('proxy', (u) => u.createBacktest(request, idempotencyKey))
  }
  fetchDaily(symbol: string, from?: string, to?: string): Promise<DailyBarsResponse> {
    return this.call('proxy', (u) => u.dailyBars({ symbol, from, to }))
  }
  fetchMinute(symbol: string, from: string, to: string): Promise<BarsResponse> {
    return this.call('proxy', (u) => u.minuteBars({ symbol, from, to }))
  }
  fetchHour(symbol: string, from: string, to: string): Promise<BarsResponse> {
    return this.call('proxy', (u) => u.hourBars({ symbol, from, to }))
  }
  fetchMinuteDecimated(symbol: string, from: string, to: string, target?: number): Promise<DecimatedBarsResponse> {
    return this.call('proxy', (u) => u.minuteDecimatedBars({ symbol, from, to, target }))
  }

  // —— aggregated calls ——
  getChartData(params: ChartDataParams): Promise<WithMode<ChartResponse>> {
    const q = toStrings(params)
    return this.aggregate(
      'chartData',
      () => this.getJson<ChartResponse>(`/api/v1/chart-data?${new URLSearchParams(q)}`),
      async () => (await this.charts.getChart(parseChartQuery(q), { scope: 'public' })).response,
    )
  }

  getRunComplete(runId: string, options: RunCompleteParams = {}): Promise<WithMode<RunCompleteResponse>> {
    const q = toStrings(options)
    return this.aggregate(
      'runData',
      () => this.getJson<RunCompleteResponse>(`/api/v1/runs/${encodeURIComponent(runId)}/complete?${new URLSearchParams(q)}`),
      async () => {
        const { options: o } = parseRunCompleteQuery(runId, q)
        return this.runs.getComplete(runId, o, { scope: 'public' })
      },
    )
  }

  listRuns(query: ListQuery = {}): Promise<WithMode<EnrichedRunList>> {
    const q = toStrings(query)
    return this.aggregate(
      'runData',
      () => this.getJson<EnrichedRunList>(`/api/v1/runs?${new URLSearchParams(q)}`),
      async () => enrichRunList(await this.direct.listBacktests(query), undefined),
    )
  }

  /** A playback stream; it follows the `stream` flag and the BFF's health, resuming at its position. */
  openRunStream(runId: string, options: RunStreamOptions = {}): RunStream {
    const stream = new RunStream(runId, options, this.streamMode(), {
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
    return stream
  }

  /** Stops polling and closes open streams. */
  dispose(): void {
    if (this.poll !== undefined) this.clock.clearInterval(this.poll)
    for (const s of this.streams) s.close()
  }

  /** Re-reads the BFF's flags document now (also done every `flagsPollMs`). */
  async refreshRemoteFlags(): Promise<void> {
    try {
      const res = await this.fetchImpl(`${this.bffUrl}/api/v1/flags`, { signal: AbortSignal.timeout(2000) })
      if (!res.ok) return
      const doc = (await res.json()) as Partial<FlagsDocument>
      this.flags.setRemote(flagOverrides(doc.flags))
    } catch {
      // The BFF is away: keep the last known remote flags.
    }
  }

  private streamMode(): 'bff' | 'direct' {
    return this.flags.get().stream && !this.fallback.isDirect('stream') ? 'bff' : 'direct'
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
    if (!this.flags.get()[group]) return false
    const allowed = await this.fallback.bffAllowed(group)
    if (allowed && group === 'stream') for (const s of this.streams) s.switchTo('bff')
    return allowed
  }

  private async call<T>(group: Group, fn: (u: Upstream) => Promise<T>): Promise<T> {
    if (!(await this.useBff(group))) return fn(this.direct)
    try {
      return await fn(this.viaBff)
    } catch (err) {
      if (!isBffOutage(err)) throw err
      this.fallback.trip(group, (err as Error).message)
      return fn(this.direct)
    }
  }

  private async aggregate<T extends { metadata: object }>(
    group: Group,
    bff: () => Promise<T>,
    direct: () => Promise<T>,
  ): Promise<WithMode<T>> {
    const withMode = (r: T, mode: 'bff' | 'direct') => ({ ...r, metadata: { ...r.metadata, mode } }) as WithMode<T>
    if (!(await this.useBff(group))) return withMode(await direct(), 'direct')
    try {
      return withMode(await bff(), 'bff')
    } catch (err) {
      if (!isBffOutage(err)) throw err
      this.fallback.trip(group, (err as Error).message)
      return withMode(await direct(), 'direct')
    }
  }

  private async getJson<T>(path: string): Promise<T> {
    const res = await this.fetchImpl(`${this.bffUrl}${path}`)
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

/** Creates a {@link HewstonClient}. */
export function createHewstonClient(options: HewstonClientOptions): HewstonClient {
  return new HewstonClient(options)
}

export type { FlagLayers }
