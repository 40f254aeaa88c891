/** An opaque timer handle (a number in browsers, an object in Node). */
export type TimerHandle = unknown

/**
 * The Clock port: the one way core, the browser SDK and the hosts read time and schedule work, so tests
 * can drive time by hand ({@link ManualClock}) and embedders can substitute their own. Timers it starts
 * never keep a Node process alive on their own.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
  setInterval(fn: () => void, ms: number): TimerHandle
  clearInterval(handle: TimerHandle): void
}

const unref = (h: unknown): unknown => {
  ;(h as { unref?: () => void }).unref?.()
  return h
}

/** The system clock: `Date.now` and the global timers (unref'ed where the runtime has that). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => unref(globalThis.setTimeout(fn, ms)),
  clearTimeout: (h) => globalThis.clearTimeout(h as Parameters<typeof clearTimeout>[0]),
  setInterval: (fn, ms) => unref(globalThis.setInterval(fn, ms)),
  clearInterval: (h) => globalThis.clearInterval(h as Parameters<typeof clearInterval>[0]),
}

/** Resolves after `ms` on `clock`. */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms))
}

interface Scheduled {
  at: number
  fn: () => void
  every?: number
}

/**
 * A clock that only moves when told to: `advance(ms)` runs every timer due on the way, in time order
 * (intervals repeat). For tests of timeouts, backoff, pacing and eviction order without real waiting.
 *
 * @example
 * ```ts
 * const clock = new ManualClock(Date.UTC(2024, 0, 1))
 * const loader = new TimelineLoader({ upstream, runId, clock })
 * await clock.advance(1000) // the first reconnect attempt fires
 * ```
 */
export class ManualClock implements Clock {
  private readonly timers = new Map<number, Scheduled>()
  private nextId = 1

  constructor(private current = 0) {}

  now(): number {
    return this.current
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++
    this.timers.set(id, { at: this.current + Math.max(0, ms), fn })
    return id
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number)
  }

  setInterval(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++
    this.timers.set(id, { at: this.current + Math.max(1, ms), fn, every: Math.max(1, ms) })
    return id
  }

  clearInterval(handle: TimerHandle): void {
    this.timers.delete(handle as number)
  }

  /** Timers still waiting. */
  get pending(): number {
    return this.timers.size
  }

  /** Moves time forward by `ms` synchronously, running each due timer at its own time (for synchronous code). */
  tick(ms: number): void {
    const until = this.current + ms
    for (;;) {
      const next = this.nextDue(until)
      if (!next) break
      this.fire(next)
    }
    this.current = until
  }

  /**
   * Moves time forward by `ms`, running each due timer at its own time; lets pending promise callbacks run
   * between timers (one real macrotask turn), so async work a timer starts gets going before the next fires.
   */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms
    for (;;) {
      await flushMicrotasks()
      const next = this.nextDue(until)
      if (!next) break
      this.fire(next)
    }
    this.current = until
    await flushMicrotasks()
  }

  private nextDue(until: number): [number, Scheduled] | undefined {
    let next: [number, Scheduled] | undefined
    for (const entry of this.timers) if (entry[1].at <= until && (!next || entry[1].at < next[1].at)) next = entry
    return next
  }

  private fire([id, t]: [number, Scheduled]): void {
    this.current = t.at
    if (t.every) t.at += t.every
    else this.timers.delete(id)
    t.fn()
  }
}

/** Lets every pending promise callback (and I/O already due) run: one real macrotask turn. */
function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => globalThis.setTimeout(resolve, 0))
}
