import { type Clock, type FlagsDocument, flagOverrides, systemClock, type TimerHandle } from '@hewston-bff/core'
import { EventEmitter } from 'eventemitter3'
import type { DirectMode } from './direct.js'
import { type FallbackEvent, FallbackState, isBffOutage } from './fallback.js'
import { type FlagLayers, FlagStore, type Flags, flagsFromSearch, flagsFromStorage, GROUPS, type Group } from './flags.js'

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

/** What the context needs of an open stream: to be moved to the other transport, or closed. */
export interface Switchable {
  switchTo(mode: 'bff' | 'direct'): void
  close(): void
}

export type Mode = 'bff' | 'direct'

/**
 * Where each call goes: the state every function of the SDK shares — options, flags (defaults → the
 * BFF's remote flags → localStorage → URL → runtime), outage fallback with cooldown and `/health` probe,
 * the CORS configuration error, and direct mode, loaded on first need. The calls themselves are plain
 * functions over a context (`drop-ins.ts`, `aggregates.ts`, `streams.ts`), so an app's bundle holds
 * the ones it imports; {@link HewstonClient} is the facade with all of them as methods.
 */
export class HewstonContext extends EventEmitter<HewstonClientEvents> {
  readonly flags: FlagStore
  readonly bffUrl: string
  readonly backendUrl: string
  readonly fetch: typeof fetch
  readonly clock: Clock
  readonly WebSocket: unknown
  /** Open streams, moved when their group changes mode. */
  readonly streams = new Set<Switchable>()
  private readonly fallback: FallbackState
  private poll: TimerHandle | undefined
  private polling = false
  private readonly pollMs: number
  private directMode: Promise<DirectMode> | undefined
  /** Set once the BFF refused this page's origin: every group goes direct, without outage cooldowns. */
  private configError: ConfigErrorEvent | undefined

  constructor(options: HewstonClientOptions) {
    super()
    const g = globalThis as { localStorage?: { getItem(k: string): string | null }; location?: { search?: string; origin?: string } }
    this.bffUrl = checkedUrl('bffUrl', options.bffUrl ?? g.location?.origin, 'the page has no origin to default to')
    this.backendUrl = checkedUrl('backendUrl', options.backendUrl, 'the Hewston backend, for direct mode')
    this.fetch = options.fetch ?? ((...a: Parameters<typeof fetch>) => fetch(...a))
    this.clock = options.clock ?? systemClock
    this.WebSocket = options.WebSocket
    this.pollMs = options.flagsPollMs ?? 5000
    this.flags = new FlagStore({
      defaults: options.flags ?? {},
      storage: flagsFromStorage(options.storage ?? g.localStorage),
      url: flagsFromSearch(options.search ?? g.location?.search ?? ''),
    })
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
  modes(): Record<Group, Mode> {
    const f = this.flags.get()
    return Object.fromEntries(GROUPS.map((g) => [g, f[g] && !this.configError && !this.fallback.isDirect(g) ? 'bff' : 'direct'])) as Record<
      Group,
      Mode
    >
  }

  streamMode(): Mode {
    return this.flags.get().stream && !this.configError && !this.fallback.isDirect('stream') ? 'bff' : 'direct'
  }

  /**
   * Direct mode's aggregations (core's chart, run and stream services), loaded with a dynamic `import()`
   * the first time a group needs them: an app that stays on the BFF never downloads them.
   */
  direct(): Promise<DirectMode> {
    this.directMode ??= import('./direct.js').then(
      (m) => m.createDirectMode({ backendUrl: this.backendUrl, fetch: this.fetch, clock: this.clock }),
      (err: unknown) => {
        // A chunk that failed to load (network, a deploy replaced it) is asked for again next time.
        this.directMode = undefined
        throw err
      },
    )
    return this.directMode
  }

  /**
   * Runs a call of `group` through the BFF, or direct when the flags, a fallback cooldown or a refused
   * origin say so. A BFF outage (network error, 502/503/504, timeout — never a 4xx) sends the call once
   * more direct and keeps the group direct for the cooldown.
   */
  async route<T>(group: Group, viaBff: () => Promise<T>, direct: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (!(await this.bffAllowedFor(group))) return direct()
    try {
      return await viaBff()
    } catch (err) {
      if (signal?.aborted || (err as Error)?.name === 'AbortError' || !isBffOutage(err)) throw err
      if (!(await this.isOriginRefused(err))) this.fallback.trip(group, (err as Error).message)
      return direct()
    }
  }

  /** Trips the stream group after its connection was lost and `/health` failed too. */
  tripStream(reason: string): void {
    this.fallback.trip('stream', reason)
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
  startPolling(): void {
    if (this.polling) return
    this.polling = true
    const url = this.flags.snapshot().url
    if (this.pollMs <= 0 || GROUPS.every((g) => url[g] === false)) return
    void this.refreshRemoteFlags()
    this.poll = this.clock.setInterval(() => void this.refreshRemoteFlags(), this.pollMs)
  }

  /** Re-reads the BFF's flags document now (also done every `flagsPollMs`). */
  async refreshRemoteFlags(): Promise<void> {
    try {
      const res = await this.fetch(`${this.bffUrl}/api/v1/flags`, { signal: AbortSignal.timeout(2000) })
      if (!res.ok) return
      const doc = (await res.json()) as Partial<FlagsDocument>
      this.flags.setRemote(flagOverrides(doc.flags))
    } catch (err) {
      // The BFF is away (keep the last known remote flags), or refuses this page's origin (say so).
      await this.isOriginRefused(err)
    }
  }

  async probe(): Promise<boolean> {
    try {
      const res = await this.fetch(`${this.bffUrl}/health`, { signal: AbortSignal.timeout(1500) })
      return res.status === 200
    } catch {
      return false
    }
  }

  private async bffAllowedFor(group: Group): Promise<boolean> {
    this.startPolling()
    if (!this.flags.get()[group] || this.configError) return false
    const allowed = await this.fallback.bffAllowed(group)
    if (allowed && group === 'stream') for (const s of this.streams) s.switchTo('bff')
    return allowed
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
      await this.fetch(`${this.bffUrl}/livez`, { mode: 'no-cors', cache: 'no-store', signal: AbortSignal.timeout(2000) })
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

export type { FlagLayers }
