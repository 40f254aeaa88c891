import { EventEmitter } from 'eventemitter3'
import type { Upstream } from '../upstream/upstream.js'
import { type Clock, sleep, systemClock } from '../util/clock.js'
import { Timeline } from './timeline.js'

/** Where a timeline stands, as clients see it. */
export interface LoaderStatus {
  state: 'connecting' | 'loading' | 'reconnecting' | 'complete' | 'error'
  source: 'upstream' | 'artifacts'
  attempt?: number
  retry_in_ms?: number
  error?: { code: string; msg: string }
}

export interface TimelineLoaderOptions {
  /** Where the run stream comes from (through the breaker on a server). */
  upstream: Upstream
  runId: string
  /** The first caller's credentials, forwarded upstream (pools are per credential scope). */
  headers?: Record<string, string>
  /** Reconnect delays (default 1, 2, 4, 8, 16, 30 s — the last repeats), each with ±20 % jitter. */
  backoffMs?: readonly number[]
  /** Reconnects without progress before giving up (default 8). */
  maxAttempts?: number
  /** Builds the timeline from the run's artifacts when the upstream stream fails (server with --root). */
  fallback?: (into: Timeline) => Promise<void>
  clock?: Clock
  random?: () => number
}

const DEFAULT_BACKOFF = [1000, 2000, 4000, 8000, 16_000, 30_000]

/**
 * Fetches a run's timeline once over the upstream's SSE stream (which ends with `event: end` and, unlike
 * its WebSocket, leaves the upstream responsive), reconnecting with exponential backoff when the
 * connection drops — the stream restarts at the first frame, so frames at or before the last one held are
 * skipped. An in-band `error` event (the upstream HEAD's `STREAM_ERROR`) is final: the artifact fallback
 * is tried if there is one, otherwise the error is reported and not retried.
 *
 * Events: `frames` (new frames arrived), `status` (a {@link LoaderStatus}).
 */
export class TimelineLoader extends EventEmitter<{ frames: []; status: [LoaderStatus] }> {
  readonly timeline = new Timeline()
  status: LoaderStatus = { state: 'connecting', source: 'upstream' }
  /** Upstream stream requests made (for tests and metrics). */
  fetches = 0
  private stopped = false
  private abort: AbortController | undefined
  private started = false
  private announcing: unknown
  private readonly clock: Clock

  constructor(private readonly options: TimelineLoaderOptions) {
    super()
    this.clock = options.clock ?? systemClock
  }

  start(): void {
    if (this.started) return
    this.started = true
    void this.run()
  }

  stop(): void {
    this.stopped = true
    this.abort?.abort()
  }

  private setStatus(status: LoaderStatus): void {
    this.status = status
    this.emit('status', status)
  }

  private async run(): Promise<void> {
    const backoff = this.options.backoffMs ?? DEFAULT_BACKOFF
    const maxAttempts = this.options.maxAttempts ?? 8
    const random = this.options.random ?? Math.random
    let attempt = 0
    while (!this.stopped) {
      const before = this.timeline.length
      this.setStatus({ state: attempt === 0 && before === 0 ? 'connecting' : 'loading', source: 'upstream' })
      const outcome = await this.readOnce()
      if (this.stopped) return
      if (outcome.kind === 'end') {
        this.timeline.complete = true
        this.emit('frames')
        this.setStatus({ state: 'complete', source: 'upstream' })
        return
      }
      if (outcome.kind === 'error') {
        if (await this.tryFallback()) return
        this.setStatus({ state: 'error', source: 'upstream', error: outcome.error })
        return
      }
      // The connection broke: progress resets the backoff.
      if (this.timeline.length > before) attempt = 0
      attempt++
      if (attempt > maxAttempts) {
        if (await this.tryFallback()) return
        this.setStatus({ state: 'error', source: 'upstream', error: { code: 'UPSTREAM_UNAVAILABLE', msg: outcome.reason } })
        return
      }
      const base = backoff[Math.min(attempt - 1, backoff.length - 1)] as number
      const delay = Math.round(base * (0.8 + 0.4 * random()))
      this.setStatus({ state: 'reconnecting', source: 'upstream', attempt, retry_in_ms: delay })
      await sleep(this.clock, delay)
    }
  }

  private async tryFallback(): Promise<boolean> {
    if (!this.options.fallback) return false
    try {
      this.setStatus({ state: 'loading', source: 'artifacts' })
      await this.options.fallback(this.timeline)
      this.timeline.complete = true
      this.emit('frames')
      this.setStatus({ state: 'complete', source: 'artifacts' })
      return true
    } catch {
      return false
    }
  }

  /** Announces new frames at most once per event-loop turn: a network chunk's worth at a time, not per frame. */
  private announce(): void {
    if (this.announcing !== undefined) return
    this.announcing = this.clock.setTimeout(() => {
      this.announcing = undefined
      this.emit('frames')
    }, 0)
  }

  /** Announces pending frames now (before a status change, so clients see frames first). */
  private flushAnnounce(): void {
    if (this.announcing === undefined) return
    this.clock.clearTimeout(this.announcing)
    this.announcing = undefined
    this.emit('frames')
  }

  private async readOnce(): Promise<
    { kind: 'end' } | { kind: 'error'; error: { code: string; msg: string } } | { kind: 'broken'; reason: string }
  > {
    this.abort = new AbortController()
    this.fetches++
    try {
      for await (const ev of this.options.upstream.runStream(this.options.runId, {
        headers: this.options.headers,
        signal: this.abort.signal,
      })) {
        if (ev.type === 'frame') {
          if (this.timeline.push(ev.frame)) this.announce()
          continue
        }
        return ev.type === 'end' ? { kind: 'end' } : { kind: 'error', error: { code: ev.code, msg: ev.msg } }
      }
      return { kind: 'broken', reason: 'the upstream stream ended without its end event' }
    } catch (err) {
      return { kind: 'broken', reason: (err as Error).message }
    } finally {
      this.flushAnnounce()
    }
  }
}
