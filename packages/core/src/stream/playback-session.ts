import { isPlaybackSpeed, parseIsoTimestamp, PLAYBACK_FPS, PLAYBACK_SPEED } from '../contract/playback.js'
import type { LoaderStatus, TimelineLoader } from './timeline-loader.js'

/** Market time per wall time at speed 1: one year of market time per hour. */
export const MARKET_PER_WALL_AT_SPEED_1 = 8760

export type SessionState = 'connecting' | 'buffering' | 'live' | 'paused' | 'reconnecting' | 'ended' | 'error'

export interface PlaybackSessionOptions {
  /** Frames per second at most (1…60, default 30). */
  fps?: number
  /** Market-time speed: 1 plays a year per hour, 60 a year per minute (default 60). */
  speed?: number
  /** Resume right after this time (ms since the epoch): the client's last frame before a reconnect. */
  fromMs?: number
  autoplay?: boolean
  /** Sends one message to the client (an object; the host serialises it). */
  send: (message: Record<string, unknown>) => void
  /** False while the client's send buffer is full: frames then coalesce instead of queueing. */
  canSend?: () => boolean
  now?: () => number
  heartbeatMs?: number
}

const COMMANDS = new Set(['play', 'pause', 'seek', 'speed'])

/**
 * One client's playback of a shared timeline (Story 8.5): its own play/pause/seek/speed, frames paced to
 * at most `fps` per second at `speed`, and coalescing — a frame emitted after skipped ones carries the
 * latest OHLC/equity and every order of the frames it stands for, with `dropped` counting all frames
 * skipped so far (frames received + last `dropped` = frames played). Per-client state is a few numbers:
 * coalesced orders are read from the shared timeline when the frame goes out.
 */
export class PlaybackSession {
  state: SessionState = 'connecting'
  private readonly fps: number
  private speed: number
  private playing: boolean
  /** Index of the next frame not yet sent. */
  private next = 0
  private clock = Number.NaN
  private lastTick = 0
  private dropped = 0
  private position: string | null = null
  private ticker: ReturnType<typeof setInterval> | undefined
  private heartbeat: ReturnType<typeof setInterval> | undefined
  private readonly now: () => number
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
    this.now = options.now ?? (() => performance.now())
    loader.on('frames', this.onFrames)
    loader.on('status', this.onStatus)
    this.ticker = setInterval(() => this.tick(), 1000 / this.fps)
    this.heartbeat = setInterval(() => this.options.send({ t: 'hb' }), options.heartbeatMs ?? 5000)
    this.upstreamStatus(loader.status)
    this.sync()
  }

  /** Handles one client message; invalid ones get a VALIDATION error and the session goes on. */
  handle(text: string): void {
    let msg: unknown
    try {
      msg = JSON.parse(text)
    } catch {
      return this.invalid('invalid JSON')
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return this.invalid('message must be a JSON object')
    const m = msg as Record<string, unknown>
    if (m.t !== 'ctrl') return this.invalid('unsupported message')
    if (typeof m.cmd !== 'string' || !COMMANDS.has(m.cmd)) return this.invalid('invalid ctrl.cmd')
    const seekTo = m.cmd === 'seek' && typeof m.ts === 'string' ? parseIsoTimestamp(m.ts) : undefined
    if (m.cmd === 'seek' && seekTo === undefined) return this.invalid('seek needs ts: an ISO-8601 timestamp with a zone, e.g. 2024-12-02T14:30:00Z')
    if (m.cmd === 'speed' && !isPlaybackSpeed(m.speed)) return this.invalid(`speed needs a number in [${PLAYBACK_SPEED.min}, ${PLAYBACK_SPEED.max}]`)
    this.options.send({ ...m, echo: true })
    switch (m.cmd) {
      case 'play':
        this.playing = true
        this.clock = Number.NaN
        break
      case 'pause':
        this.playing = false
        break
      case 'seek':
        this.next = this.loader.timeline.indexAtOrAfter(seekTo as number)
        this.clock = Number.NaN
        break
      case 'speed':
        this.speed = m.speed as number
        break
    }
    this.sync()
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    clearInterval(this.ticker)
    clearInterval(this.heartbeat)
    this.loader.off('frames', this.onFrames)
    this.loader.off('status', this.onStatus)
  }

  private invalid(msg: string): void {
    this.options.send({ t: 'err', code: 'VALIDATION', msg })
  }

  private announced = false

  private setState(state: SessionState, extra: Record<string, unknown> = {}): void {
    if (this.announced && state === this.state && Object.keys(extra).length === 0) return
    this.announced = true
    this.state = state
    this.options.send({ t: 'status', state, position: this.position, source: this.loader.status.source, ...extra })
  }

  private upstreamStatus(s: LoaderStatus): void {
    if (this.closed) return
    if (s.state === 'reconnecting') this.setState('reconnecting', { attempt: s.attempt, retry_in_ms: s.retry_in_ms })
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
    if (this.loader.status.state === 'reconnecting' && this.next >= tl.length) return
    if (tl.length === 0 && !tl.complete) return this.setState('connecting')
    if (!this.playing) return this.setState('paused')
    if (this.next >= tl.length) {
      if (tl.complete) return this.end()
      return this.setState('buffering')
    }
    this.setState('live')
  }

  private tick(): void {
    if (this.closed || !this.playing || this.state === 'ended' || this.state === 'error') return
    if (this.options.fromMs !== undefined) return this.sync()
    const tl = this.loader.timeline
    const now = this.now()
    if (this.next >= tl.length) {
      this.sync()
      return
    }
    if (Number.isNaN(this.clock)) this.clock = tl.timeAt(this.next) - 1
    else this.clock += (now - this.lastTick) * MARKET_PER_WALL_AT_SPEED_1 * this.speed
    this.lastTick = now
    // Never run ahead of the data while it is still arriving.
    if (!tl.complete && this.clock > tl.lastTs) this.clock = tl.lastTs
    const last = tl.indexAfter(this.clock) - 1
    if (last < this.next) return
    if (this.options.canSend && !this.options.canSend()) return // slow client: these frames coalesce into the next one
    const orders: Record<string, unknown>[] = []
    for (let i = this.next; i <= last; i++) for (const o of tl.ordersAt(i)) orders.push(o)
    this.dropped += last - this.next
    const frame = tl.frame(last, orders, this.dropped)
    this.position = frame.ts
    this.next = last + 1
    this.options.send(frame as unknown as Record<string, unknown>)
    if (this.state !== 'live') this.setState('live')
    if (this.next >= tl.length && tl.complete) this.end()
  }

  private end(): void {
    if (this.state === 'ended') return
    this.options.send({ t: 'end', frames: this.next, dropped: this.dropped })
    this.setState('ended')
  }
}
