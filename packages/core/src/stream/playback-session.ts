import { FRAME_FIELDS, type FrameField } from '../contract/frame-fields.js'
import { PLAYBACK_FPS, PLAYBACK_SPEED, type PlaybackMessage, type PlaybackState, parsePlaybackCtrl } from '../contract/playback.js'
import type { StreamedFrame, StreamOrder } from '../contract/stream.js'
import { isoSeconds } from '../contract/time.js'
import { type Clock, systemClock, type TimerHandle } from '../util/clock.js'
import type { Timeline } from './timeline.js'
import type { LoaderStatus, TimelineLoader } from './timeline-loader.js'

/** Market time per wall time at speed 1: one year of market time per hour. */
export const MARKET_PER_WALL_AT_SPEED_1 = 8760

export interface PlaybackSessionOptions {
  /** Frames per second at most (1…60, default 30). */
  fps?: number
  /** Market-time speed: 1 plays a year per hour, 60 a year per minute (default 60). */
  speed?: number
  /** Resume right after this time (ms since the epoch): the client's last frame before a reconnect. */
  fromMs?: number
  autoplay?: boolean
  /**
   * The frame fields to send (default all). Without `ohlc` and `equity` only frames carrying orders go
   * out: the others count as `dropped`, so every order still arrives exactly once.
   */
  fields?: ReadonlySet<FrameField>
  /** Sends one message to the client (an object; the host serialises it). */
  send: (message: PlaybackMessage) => void
  /** False while the client's send buffer is full: frames then coalesce instead of queueing. */
  canSend?: () => boolean
  clock?: Clock
  heartbeatMs?: number
}

/**
 * One client's playback of a shared timeline: its own play/pause/seek/speed, frames paced to
 * at most `fps` per second at `speed`, and coalescing — a frame emitted after skipped ones carries the
 * latest OHLC/equity and every order of the frames it stands for, with `dropped` counting all frames
 * skipped so far (frames received + last `dropped` = frames played). Per-client state is a few numbers:
 * coalesced orders are read from the shared timeline when the frame goes out.
 *
 * The first frame goes out as soon as there is one to play (not at the next tick), and while the loader
 * reconnects the client keeps playing what is buffered; it only hears `reconnecting` once it has caught up.
 */
export class PlaybackSession {
  state: PlaybackState = 'connecting'
  private readonly fps: number
  private speed: number
  private playing: boolean
  /** Index of the next frame not yet sent. */
  private next = 0
  /** Market time played up to (ms since the epoch); NaN until playing starts or after a seek. */
  private marketMs = Number.NaN
  private lastTick = 0
  private dropped = 0
  private position: string | null = null
  private fields: ReadonlySet<FrameField>
  private readonly ticker: TimerHandle
  private readonly heartbeat: TimerHandle
  private readonly timers: Clock
  private closed = false
  private readonly onFrames = () => this.sync()
  private readonly onStatus = (s: LoaderStatus) => this.upstreamStatus(s)

  constructor(
    private readonly loader: TimelineLoader,
    private readonly options: PlaybackSessionOptions,
  ) {
    this.fps = Math.min(PLAYBACK_FPS.max, Math.max(PLAYBACK_FPS.min, options.fps ?? PLAYBACK_FPS.default))
    this.speed = options.speed ?? PLAYBACK_SPEED.default
    this.playing = options.autoplay ?? false
    this.fields = options.fields ?? new Set(FRAME_FIELDS)
    this.timers = options.clock ?? systemClock
    loader.on('frames', this.onFrames)
    loader.on('status', this.onStatus)
    this.ticker = this.timers.setInterval(() => this.tick(), 1000 / this.fps)
    this.heartbeat = this.timers.setInterval(() => this.options.send({ t: 'hb' }), options.heartbeatMs ?? 5000)
    this.upstreamStatus(loader.status)
    this.sync()
  }

  /** Handles one client message; invalid ones get a VALIDATION error and the session goes on. */
  handle(text: string): void {
    const parsed = parsePlaybackCtrl(text)
    if (!parsed.ok) return this.invalid(parsed.error)
    const m = parsed.msg
    this.options.send({ ...m, echo: true })
    switch (m.cmd) {
      case 'play':
        this.playing = true
        this.marketMs = Number.NaN
        break
      case 'pause':
        this.playing = false
        break
      case 'seek':
        this.next = this.loader.timeline.indexAtOrAfter(parsed.seekToMs as number)
        this.marketMs = Number.NaN
        break
      case 'speed':
        this.speed = m.speed
        break
      case 'fields':
        this.fields = parsed.fields ?? this.fields
        break
    }
    this.sync()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.timers.clearInterval(this.ticker)
    this.timers.clearInterval(this.heartbeat)
    this.loader.off('frames', this.onFrames)
    this.loader.off('status', this.onStatus)
  }

  private invalid(msg: string): void {
    this.options.send({ t: 'err', code: 'VALIDATION', msg })
  }

  private announced = false

  private setState(state: PlaybackState, extra: { attempt?: number; retry_in_ms?: number } = {}): void {
    if (this.announced && state === this.state && Object.keys(extra).length === 0) return
    this.announced = true
    this.state = state
    this.options.send({ t: 'status', state, position: this.position, source: this.loader.status.source, ...extra })
  }

  private upstreamStatus(s: LoaderStatus): void {
    if (this.closed) return
    if (s.state === 'reconnecting') this.sync()
    else if (s.state === 'error') {
      this.options.send({ t: 'err', code: s.error?.code ?? 'STREAM_ERROR', msg: s.error?.msg ?? 'stream failed' })
      this.setState('error')
    } else this.sync()
  }

  /** Moves the state to where the timeline and the controls say it is. */
  private sync(): void {
    if (this.closed || this.state === 'error' || this.state === 'ended') return
    const tl = this.loader.timeline
    if (this.options.fromMs !== undefined) {
      // Resuming: wait until the timeline reaches past `from` (it may still be loading), then start there.
      this.next = tl.indexAfter(this.options.fromMs)
      if (this.next >= tl.length && !tl.complete) return this.setState(tl.length ? 'buffering' : 'connecting')
      this.options.fromMs = undefined
    }
    const status = this.loader.status
    // Caught up with a loader that is reconnecting: say so (before that, the buffered frames keep playing).
    if (status.state === 'reconnecting' && this.next >= tl.length)
      return this.setState('reconnecting', { attempt: status.attempt, retry_in_ms: status.retry_in_ms })
    if (tl.length === 0 && !tl.complete) return this.setState('connecting')
    if (!this.playing) return this.setState('paused')
    if (this.next >= tl.length) {
      if (tl.complete) return this.end()
      return this.setState('buffering')
    }
    // Nothing sent since (re)starting: the first frame goes out now rather than at the next tick.
    if (Number.isNaN(this.marketMs)) return this.tick()
    this.setState('live')
  }

  private tick(): void {
    if (this.closed || !this.playing || this.state === 'ended' || this.state === 'error') return
    if (this.options.fromMs !== undefined) return this.sync()
    const tl = this.loader.timeline
    const now = this.timers.now()
    if (this.next >= tl.length) {
      this.sync()
      return
    }
    // (Re)starting plays the next frame at once; after that, market time moves with the wall clock.
    if (Number.isNaN(this.marketMs)) this.marketMs = tl.timeAt(this.next)
    else this.marketMs += (now - this.lastTick) * MARKET_PER_WALL_AT_SPEED_1 * this.speed
    this.lastTick = now
    // Never run ahead of the data while it is still arriving.
    if (!tl.complete && this.marketMs > tl.lastTs) this.marketMs = tl.lastTs
    const last = tl.indexAfter(this.marketMs) - 1
    if (last < this.next) return
    if (this.options.canSend && !this.options.canSend()) return // slow client: these frames coalesce into the next one
    const orders: StreamOrder[] = []
    for (let i = this.next; i <= last; i++) for (const o of tl.ordersAt(i)) orders.push(o)
    const ordersOnly = !this.fields.has('ohlc') && !this.fields.has('equity')
    const skipped = last - this.next
    this.next = last + 1
    if (this.state !== 'live') this.setState('live')
    if (ordersOnly && orders.length === 0) {
      // Nothing this client asked for: the frames are played, and counted as dropped.
      this.dropped += skipped + 1
      this.position = isoSeconds(tl.timeAt(last))
    } else {
      this.dropped += skipped
      const frame = this.project(tl.frame(last, orders, this.dropped))
      this.position = frame.ts
      this.options.send(frame)
    }
    if (this.next >= tl.length && tl.complete) this.end()
  }

  /** The frame with only the fields this client wants. */
  private project(frame: ReturnType<Timeline['frame']>): StreamedFrame {
    if (this.fields.size === FRAME_FIELDS.length) return frame
    const out: StreamedFrame = { t: 'frame', ts: frame.ts, dropped: frame.dropped }
    if (this.fields.has('ohlc')) out.ohlc = frame.ohlc
    if (this.fields.has('orders')) out.orders = frame.orders
    if (this.fields.has('equity')) out.equity = frame.equity
    return out
  }

  private end(): void {
    if (this.state === 'ended') return
    this.options.send({ t: 'end', frames: this.next, dropped: this.dropped })
    this.setState('ended')
  }
}
