/** The Clock port: tests pass their own; the default reads the system time. */
export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }
