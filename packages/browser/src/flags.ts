/**
 * Which endpoint groups go through the BFF (`true`) or straight to the backend (`false`). This slice of
 * the SDK covers the `proxy` group (the frontend's existing calls); the aggregated groups join it as their
 * endpoints land.
 */
export interface Flags {
  proxy: boolean
}

export const DEFAULT_FLAGS: Flags = { proxy: true }

/** A small observable flag store: a change applies to the very next call. */
export class FlagStore {
  private current: Flags
  private readonly listeners = new Set<(flags: Flags) => void>()

  constructor(initial: Partial<Flags> = {}) {
    this.current = { ...DEFAULT_FLAGS, ...initial }
  }

  get(): Flags {
    return { ...this.current }
  }

  set(patch: Partial<Flags>): void {
    this.current = { ...this.current, ...patch }
    for (const l of this.listeners) l(this.get())
  }

  subscribe(listener: (flags: Flags) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
