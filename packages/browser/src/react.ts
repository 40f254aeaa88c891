/**
 * `@hewston-bff/browser/react` — the Hewston frontend's playback hook (`services/ws.ts`) and its player
 * transport (`services/transport.ts`), over the SDK's resilient run stream: the BFF's WebSocket, or the
 * backend's SSE stream paced in the page when the `stream` group is direct — resuming where it was when it
 * switches. React is an optional peer: only this entry imports it.
 */
import { useCallback, useEffect, useRef, useState } from 'react'
import { hewstonContext } from './compat.js'
import type { HewstonContext } from './context.js'
import type { RunStream, StreamFrame } from './run-stream.js'
import { openRunStream } from './streams.js'

export type PlaybackStatus = 'idle' | 'connecting' | 'ws' | 'sse' | 'ended' | 'error'

/** What a player shows: the transport (`ws` through the BFF, `sse` direct), play state, speed, frames coalesced away. */
export interface PlaybackState {
  status: PlaybackStatus
  playing: boolean
  speed: number
  dropped: number
  error?: string
}

export interface RunPlaybackOptions {
  /** The context to use (default: the one `configureHewston` set up for `/compat`). */
  context?: HewstonContext
  /** Frames per second (default 30). */
  fps?: number
  /** Initial speed: 1 plays a year of market time per hour (default 60). */
  speed?: number
}

/** A stream error as an `Error` with the stream's `code` (`STREAM_ERROR`, `RUN_NOT_FOUND`, …). */
export class PlaybackError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'PlaybackError'
  }
}

/**
 * `useRunPlayback(runId)`: the frontend's hook, same return shape. The stream opens when `runId` is set
 * (and closes when it changes or the component unmounts); frames go to `subscribe`rs, not into state, so a
 * 30 fps playback does not re-render the component 30 times a second (`dropped` is refreshed at most 4
 * times a second, and exactly at the end).
 */
export function useRunPlayback(runId: string | null | undefined, options: RunPlaybackOptions = {}) {
  const [state, setState] = useState<PlaybackState>({ status: 'idle', playing: false, speed: options.speed ?? 60, dropped: 0 })
  const stream = useRef<RunStream | undefined>(undefined)
  const listeners = useRef(new Set<(frame: StreamFrame) => void>())
  const { context, fps } = options
  const initialSpeed = useRef(options.speed ?? 60)

  useEffect(() => {
    if (!runId) {
      setState((s) => ({ ...s, status: 'idle', playing: false }))
      return
    }
    const s = openRunStream(context ?? hewstonContext(), runId, { fps, speed: initialSpeed.current })
    stream.current = s
    const transport = (): PlaybackStatus => (s.mode === 'bff' ? 'ws' : 'sse')
    setState((prev) => ({ ...prev, status: 'connecting', playing: false, dropped: 0, error: undefined }))
    s.on('status', (st) =>
      setState((prev) =>
        prev.status === 'ended'
          ? prev
          : { ...prev, status: st.state === 'reconnecting' || st.state === 'connecting' ? 'connecting' : transport() },
      ),
    )
    // `dropped` reaches the state at most 4 times a second: when playback coalesces frames it changes with
    // every frame, and the component must not re-render at the frame rate for it.
    let shownAt = 0
    s.on('frame', (frame) => {
      for (const listener of listeners.current) listener(frame)
      const now = Date.now()
      setState((prev) => {
        if (prev.status === transport() && (prev.dropped === frame.dropped || now - shownAt < 250)) return prev
        shownAt = now
        return { ...prev, dropped: frame.dropped, status: transport() }
      })
    })
    s.on('error', (e) => setState((prev) => ({ ...prev, status: 'error', playing: false, error: `${e.code}: ${e.msg}` })))
    s.on('end', (e) => setState((prev) => ({ ...prev, status: 'ended', playing: false, dropped: e.dropped })))
    return () => {
      s.close()
      if (stream.current === s) stream.current = undefined
    }
  }, [runId, context, fps])

  const subscribe = useCallback((listener: (frame: StreamFrame) => void) => {
    listeners.current.add(listener)
    return () => {
      listeners.current.delete(listener)
    }
  }, [])
  const onPlay = useCallback(() => {
    stream.current?.play()
    setState((s) => (s.status === 'ended' ? s : { ...s, playing: true }))
  }, [])
  const onPause = useCallback(() => {
    stream.current?.pause()
    setState((s) => ({ ...s, playing: false }))
  }, [])
  const onSpeedChange = useCallback((speed: number) => {
    initialSpeed.current = speed
    stream.current?.setSpeed(speed)
    setState((s) => ({ ...s, speed }))
  }, [])
  const onSeek = useCallback((isoTs: string) => stream.current?.seek(isoTs), [])

  return { state, subscribe, onPlay, onPause, onSpeedChange, onSeek }
}

/** The frontend's player transport: what its player drives, whatever carries the frames. */
export interface PlayerTransport {
  start(): void
  pause(): void
  setSpeed(s: number): void
  seek(isoTs: string): void
  onFrame(cb: (frame: StreamFrame) => void): () => void
  onError(cb: (error: PlaybackError) => void): () => void
  dispose(): void
}

/**
 * A {@link PlayerTransport} over the SDK's run stream — it replaces the frontend's `wsTransport` and
 * `sseTransport` (and their pacing worker): the stream picks the transport by flags and health itself.
 * The stream opens on `start()`.
 */
export function playerTransport(run_id: string, options: RunPlaybackOptions = {}): PlayerTransport {
  let s: RunStream | undefined
  let speed = options.speed ?? 60
  const frames = new Set<(frame: StreamFrame) => void>()
  const errors = new Set<(error: PlaybackError) => void>()
  const open = (): RunStream => {
    if (s && !s.isClosed) return s
    s = openRunStream(options.context ?? hewstonContext(), run_id, { fps: options.fps, speed })
    s.on('frame', (f) => {
      for (const cb of frames) cb(f)
    })
    s.on('error', (e) => {
      for (const cb of errors) cb(new PlaybackError(e.code, e.msg))
    })
    return s
  }
  const subscribe = <T>(set: Set<T>, cb: T) => {
    set.add(cb)
    return () => {
      set.delete(cb)
    }
  }
  return {
    start: () => open().play(),
    pause: () => s?.pause(),
    setSpeed: (next) => {
      speed = next
      s?.setSpeed(next)
    },
    seek: (isoTs) => open().seek(isoTs),
    onFrame: (cb) => subscribe(frames, cb),
    onError: (cb) => subscribe(errors, cb),
    dispose: () => {
      s?.close()
      frames.clear()
      errors.clear()
    },
  }
}
