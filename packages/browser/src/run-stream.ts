import {
  FRAME_FIELDS,
  type FrameField,
  type PlaybackCtrl,
  type PlaybackMessage,
  type PlaybackState,
  type StreamedFrame,
} from '@hewston-bff/core'
import { EventEmitter } from 'eventemitter3'
import ReconnectingWebSocket from 'partysocket/ws'
import type { DirectMode } from './direct.js'

export interface RunStreamOptions {
  fps?: number
  speed?: number
  /** Start right after this ISO timestamp. */
  from?: string
  /**
   * The frame fields to receive (default all three, the upstream's shape). `['orders']` receives only the
   * frames that carry orders — each order exactly once — and counts the others as `dropped`.
   */
  fields?: readonly FrameField[]
}

/** A playback stream's events and their arguments. */
export type RunStreamEvents = {
  frame: [StreamFrame]
  status: [StreamStatus]
  error: [{ code: string; msg: string }]
  end: [{ frames: number; dropped: number }]
  /** `close()` was called. */
  closed: []
}

/** A playback frame with the fields asked for; `dropped` counts across transport switches. */
export type StreamFrame = StreamedFrame

/** The playback stream's `status` message, plus which transport carries it. */
export type StreamStatus = Omit<Extract<PlaybackMessage, { t: 'status' }>, 't' | 'source'> & {
  state: PlaybackState
  mode: 'bff' | 'direct'
  /** Where the frames come from; absent on the SDK's own `reconnecting` status. */
  source?: 'upstream' | 'artifacts'
}

interface Transport {
  send(message: PlaybackCtrl): void
  close(): void
}

export interface RunStreamDeps {
  bffUrl: string
  /** Direct mode, loaded on first need: the backend's run stream read and paced like the BFF does. */
  direct: () => Promise<DirectMode>
  WebSocket?: unknown
  /** Called when the BFF transport closes abnormally; resolves true when the stream should go direct. */
  onBffTrouble: () => Promise<boolean>
}

/**
 * A playback stream that behaves the same over the BFF (`/api/v1/runs/{id}/stream`, via partysocket, which
 * reconnects by itself — always resuming with `from=<last ts>`) and in direct mode (the same core
 * TimelineLoader + PlaybackSession running here, against the backend's SSE stream). Switching transport
 * keeps the position, the play state and the speed; `dropped` keeps counting across switches.
 *
 * Events: {@link RunStreamEvents}.
 */
export class RunStream extends EventEmitter<RunStreamEvents> {
  mode: 'bff' | 'direct'
  lastTs: string | null
  private playing = false
  private speed: number
  private fields: readonly FrameField[]
  private readonly fps: number
  private transport: Transport | undefined
  private droppedBase = 0
  private lastDropped = 0
  private framesSeen = 0
  private closed = false
  private ended = false
  /** Bumped at every transport switch: messages still arriving from a closed transport are ignored. */
  private generation = 0

  constructor(
    readonly runId: string,
    options: RunStreamOptions,
    mode: 'bff' | 'direct',
    private readonly deps: RunStreamDeps,
  ) {
    super()
    this.fps = options.fps ?? 30
    this.speed = options.speed ?? 60
    this.fields = options.fields ?? FRAME_FIELDS
    this.lastTs = options.from ?? null
    this.mode = mode
    this.open()
  }

  play(): void {
    this.playing = true
    this.transport?.send({ t: 'ctrl', cmd: 'play' })
  }

  pause(): void {
    this.playing = false
    this.transport?.send({ t: 'ctrl', cmd: 'pause' })
  }

  seek(ts: string): void {
    this.transport?.send({ t: 'ctrl', cmd: 'seek', ts })
  }

  setSpeed(speed: number): void {
    this.speed = speed
    this.transport?.send({ t: 'ctrl', cmd: 'speed', speed })
  }

  /** Receives only these frame fields from now on (kept across reconnects and transport switches). */
  setFields(fields: readonly FrameField[]): void {
    this.fields = [...fields]
    this.transport?.send({ t: 'ctrl', cmd: 'fields', fields: this.fields })
  }

  /** True once `close()` was called (by the app, or by the signal given to `openRunStream`). */
  get isClosed(): boolean {
    return this.closed
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    this.transport?.close()
    this.transport = undefined
    this.emit('closed')
  }

  /** Moves the stream to the other transport, resuming right after the last frame received. */
  switchTo(mode: 'bff' | 'direct'): void {
    if (mode === this.mode || this.closed || this.ended) return
    this.transport?.close()
    this.droppedBase += this.lastDropped
    this.lastDropped = 0
    this.mode = mode
    this.open()
  }

  private receive(m: PlaybackMessage, generation: number): void {
    if (this.closed || generation !== this.generation) return
    switch (m.t) {
      case 'frame':
        this.lastTs = m.ts
        this.lastDropped = m.dropped
        this.framesSeen++
        this.emit('frame', { ...m, dropped: this.droppedBase + m.dropped })
        break
      case 'status': {
        const { t: _t, ...status } = m
        this.emit('status', { ...status, mode: this.mode })
        break
      }
      case 'err':
        this.emit('error', { code: m.code, msg: m.msg })
        break
      case 'end':
        this.ended = true
        this.emit('end', { frames: this.framesSeen, dropped: this.droppedBase + m.dropped })
        this.transport?.close()
        break
    }
  }

  private open(): void {
    const generation = ++this.generation
    this.transport = this.mode === 'bff' ? this.openBff(generation) : this.openDirect(generation)
  }

  private openBff(generation: number): Transport {
    const base = this.deps.bffUrl.replace(/^http/, 'ws').replace(/\/+$/, '')
    // Evaluated at every (re)connect: always resume right after the last frame received.
    const url = () => {
      const q = new URLSearchParams({ fps: String(this.fps), speed: String(this.speed) })
      if (this.lastTs) q.set('from', this.lastTs)
      if (this.playing) q.set('autoplay', '1')
      if (this.fields.length !== FRAME_FIELDS.length) q.set('fields', this.fields.join(','))
      return `${base}/api/v1/runs/${encodeURIComponent(this.runId)}/stream?${q}`
    }
    const ws = new ReconnectingWebSocket(url, [], {
      WebSocket: this.deps.WebSocket,
      minReconnectionDelay: 500,
      maxReconnectionDelay: 5000,
      connectionTimeout: 2000,
    })
    ws.addEventListener('message', (ev: { data: unknown }) => this.receive(JSON.parse(String(ev.data)) as PlaybackMessage, generation))
    // Every (re)connection is a new session on the BFF, counting `dropped` from 0: carry the last one's over.
    let connections = 0
    ws.addEventListener('open', () => {
      if (generation !== this.generation || connections++ === 0) return
      this.droppedBase += this.lastDropped
      this.lastDropped = 0
    })
    let troubleChecked = false
    ws.addEventListener('close', (ev: { code: number }) => {
      if (this.closed || this.ended || generation !== this.generation || ev.code === 1000) return
      this.emit('status', { state: 'reconnecting', mode: 'bff', position: this.lastTs })
      if (troubleChecked) return
      troubleChecked = true
      void this.deps.onBffTrouble().then((goDirect) => {
        troubleChecked = false
        if (goDirect) this.switchTo('direct')
      })
    })
    return {
      send: (m) => {
        if (ws.readyState === 1) ws.send(JSON.stringify(m))
      },
      close: () => ws.close(1000),
    }
  }

  private openDirect(generation: number): Transport {
    // Direct mode's code arrives with a dynamic import: commands sent meanwhile wait for it, in order.
    const pending: string[] = []
    let session: { send(ctrl: string): void; close(): void } | undefined
    let closed = false
    const options = {
      fps: this.fps,
      speed: this.speed,
      fromMs: this.lastTs ? Date.parse(this.lastTs) : undefined,
      autoplay: this.playing,
      fields: new Set(this.fields),
      send: (m: PlaybackMessage) => queueMicrotask(() => this.receive(m, generation)),
    }
    this.deps.direct().then(
      (direct) => {
        if (closed) return
        session = direct.playback(this.runId, options)
        for (const m of pending.splice(0)) session.send(m)
      },
      (err: Error) => this.receive({ t: 'err', code: 'DIRECT_MODE_UNAVAILABLE', msg: err.message }, generation),
    )
    return {
      send: (m) => (session ? session.send(JSON.stringify(m)) : pending.push(JSON.stringify(m))),
      close: () => {
        closed = true
        session?.close()
      },
    }
  }
}
