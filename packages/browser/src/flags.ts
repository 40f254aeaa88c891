import { DEFAULT_FLAGS, type Flags, flagOverrides, FLAG_GROUPS as GROUPS, type FlagGroup as Group } from '@hewston-bff/core'
import { EventEmitter } from 'eventemitter3'

export { DEFAULT_FLAGS, type Flags, GROUPS, type Group }

/** The layers, in the order later ones override earlier ones. */
export interface FlagLayers {
  defaults: Partial<Flags>
  remote: Partial<Flags>
  storage: Partial<Flags>
  url: Partial<Flags>
  runtime: Partial<Flags>
}

export const STORAGE_KEY = 'hewston-bff.flags'

const onOff = (v: string | null): boolean | undefined =>
  v === 'on' || v === '1' || v === 'true' ? true : v === 'off' || v === '0' || v === 'false' ? false : undefined

/** `?bff=off` (every group) and `?bff.stream=off` (one group) from a query string. */
export function flagsFromSearch(search: string): Partial<Flags> {
  const q = new URLSearchParams(search)
  const out: Partial<Flags> = {}
  const all = onOff(q.get('bff'))
  if (all !== undefined) for (const g of GROUPS) out[g] = all
  for (const g of GROUPS) {
    const v = onOff(q.get(`bff.${g}`))
    if (v !== undefined) out[g] = v
  }
  return out
}

/** Flags saved in `localStorage` under `hewston-bff.flags` as `{"stream": false}`. */
export function flagsFromStorage(storage: { getItem(key: string): string | null } | undefined): Partial<Flags> {
  try {
    const raw = storage?.getItem(STORAGE_KEY)
    if (!raw) return {}
    return flagOverrides(JSON.parse(raw))
  } catch {
    return {}
  }
}

/**
 * Feature flags resolved from five sources, later overriding earlier: defaults in code → the BFF's remote
 * flags document (ops' kill switch) → localStorage → URL parameters → `set()` at runtime. Emits `flags`
 * with the effective flags whenever they change.
 */
export class FlagStore extends EventEmitter<{ flags: [Flags] }> {
  private readonly layers: FlagLayers

  constructor(init: Partial<FlagLayers> = {}) {
    super()
    this.layers = { defaults: {}, remote: {}, storage: {}, url: {}, runtime: {}, ...init }
  }

  get(): Flags {
    const l = this.layers
    return { ...DEFAULT_FLAGS, ...l.defaults, ...l.remote, ...l.storage, ...l.url, ...l.runtime }
  }

  /** Runtime override (the last word); applies to the next call and to open streams. */
  set(patch: Partial<Flags>): void {
    this.update('runtime', patch)
  }

  /** Replaces the remote layer (the BFF's flags document). */
  setRemote(flags: Partial<Flags>): void {
    const prev = JSON.stringify(this.get())
    this.layers.remote = { ...flags }
    if (JSON.stringify(this.get()) !== prev) this.emit('flags', this.get())
  }

  snapshot(): FlagLayers {
    return structuredClone(this.layers)
  }

  private update(layer: keyof FlagLayers, patch: Partial<Flags>): void {
    const prev = JSON.stringify(this.get())
    this.layers[layer] = { ...this.layers[layer], ...patch }
    if (JSON.stringify(this.get()) !== prev) this.emit('flags', this.get())
  }
}
