import { EventEmitter } from 'eventemitter3'
import { upstreamStatusOf } from '../errors/guards.js'
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
  /** Reconnects in a row that bring no frame at all before giving up (default 8). */
  maxAttempts?: number
  /**
   * Finishes the timeline from the run's artifacts (a server with --root). Tried as soon as the upstream
   * stream breaks or fails: re-reading would restart at the first frame, the artifacts are local. When it
   * fails, the loader goes back to re-reading the upstream.
   */
  fallback?: (into: Timeline) => Promise<void>
  clock?: Clock
  random?: () => number
  /** Called at every request of the upstream's run stream (first read and re-reads), for metrics. */
  onRead?: () => void
  /**
   * Runs each read of the upstream's run stream, start to end — a host passes a shared limiter here so
   * that many timelines loading at once (one per run and credential scope) do not swamp the upstream.
   * Reads run at once when absent.
   */
  readSlot?: <T>(read: () => Promise<T>) => Promise<T>
}

const DEFAULT_BACKOFF = [1000, 2000, 4000, 8000, 16_000, 30_000]

/**
 * Fetches a run's timeline once over the upstream's SSE stream (which ends with `event: end` and, unlike
 * its WebSocket, leaves the upstream responsive), reconnecting with exponential backoff when the
 * connection drops — the stream restarts at the first frame, so frames at or before the last one held are
 * skipped. A read that brought frames made progress on the wire even when it died before passing the
 * frames already held, so it does not escalate the backoff; only reads that bring nothing do. An in-band
 * `error` event (the upstream HEAD's `STREAM_ERROR`) is final: the artifact fallback is tried if there is
 * one, otherwise the error is reported and not retried.
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
    // `attempt` sets the delay and the give-up point: it grows only with reads that brought nothing.
    let attempt = 0
    // Reads in a row that brought frames but none new (the upstream keeps dying before the held ones end).
    let rereads = 0
    let fallbackTried = false
    while (!this.stopped) {
      const before = this.timeline.length
      this.setStatus({ state: attempt === 0 && before === 0 ? 'connecting' : 'loading', source: 'upstream' })
      const outcome = await (this.options.readSlot ? this.options.readSlot(() => this.readOnce()) : this.readOnce())
      if (this.stopped) return
      if (outcome.kind === 'end') {
        this.timeline.complete = true
        this.emit('frames')
        this.setStatus({ state: 'complete', source: 'upstream' })
        return
      }
      if (outcome.kind === 'error') {
        // Never the artifacts for credentials the upstream refused.
        if (!outcome.refused && !fallbackTried && (await this.tryFallback())) return
        this.setStatus({ state: 'error', source: 'upstream', error: outcome.error })
        return
      }
      // The connection broke. The upstream cannot resume, so local artifacts beat a re-read from frame one.
      if (!fallbackTried && this.options.fallback) {
        fallbackTried = true
        if (await this.tryFallback()) return
        if (this.stopped) return
      }
      if (this.timeline.length > before) {
        attempt = 0
        rereads = 0
      } else if (outcome.received > 0) rereads++
      else attempt++
      if (attempt > maxAttempts || rereads > maxAttempts * 4) {
        this.setStatus({ state: 'error', source: 'upstream', error: { code: 'UPSTREAM_UNAVAILABLE', msg: outcome.reason } })
        return
      }
      const base = backoff[Math.max(0, Math.min(attempt - 1, backoff.length - 1))] as number
      const delay = Math.round(base * (0.8 + 0.4 * random()))
      this.setStatus({ state: 'reconnecting', source: 'upstream', attempt: attempt + rereads, retry_in_ms: delay })
      await sleep(this.clock, delay)
    }
  }

  private async tryFallback(): Promise<boolean> {
    if (!this.options.fallback) return false
    try {
      this.setStatus({ state: 'loading', source: 'artifacts' })
      await this.options.fallback(this.timeline)
      if (this.stopped) return true
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
    | { kind: 'end' }
    | { kind: 'error'; error: { code: string; msg: string }; refused?: boolean }
    | { kind: 'broken'; reason: string; received: number }
  > {
    if (this.stopped) return { kind: 'broken', reason: 'stopped', received: 0 }
    this.abort = new AbortController()
    this.fetches++
    this.options.onRead?.()
    let received = 0
    try {
      for await (const ev of this.options.upstream.runStream(this.options.runId, {
        headers: this.options.headers,
        signal: this.abort.signal,
      })) {
        if (ev.type === 'frame') {
          received++
          if (this.timeline.push(ev.frame)) this.announce()
          continue
        }
        return ev.type === 'end' ? { kind: 'end' } : { kind: 'error', error: { code: ev.code, msg: ev.msg } }
      }
      return { kind: 'broken', reason: 'the upstream stream ended without its end event', received }
    } catch (err) {
      // The upstream refused these credentials or does not know the run: final, like an in-band error.
      const status = upstreamStatusOf(err)
      if (status === 401 || status === 403 || status === 404)
        return { kind: 'error', error: { code: `UPSTREAM_${status}`, msg: (err as Error).message }, refused: true }
      return { kind: 'broken', reason: (err as Error).message, received }
    } finally {
      this.flushAnnounce()
    }
  }
}
