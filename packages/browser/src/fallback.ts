import { type Clock, systemClock } from '@hewston-bff/core'
import { EventEmitter } from 'eventemitter3'
import type { Group } from './flags.js'

export interface FallbackEvent {
  group: Group
  reason: string
  until: number
}

/**
 * Automatic fallback: when the BFF fails for a group (network error, 502/503/504, open breaker — never a
 * 4xx), that group goes direct for a cooldown; after it, the BFF's `/health` is probed before traffic
 * switches back (and the cooldown starts again if the probe fails).
 */
export class FallbackState extends EventEmitter<{ fallback: [FallbackEvent]; recovered: [Group] }> {
  private readonly until = new Map<Group, number>()
  private probing: Promise<boolean> | undefined

  constructor(
    private readonly cooldownMs: number,
    private readonly probe: () => Promise<boolean>,
    private readonly clock: Clock = systemClock,
  ) {
    super()
  }

  /** Whether the group is currently held direct (without probing). */
  isDirect(group: Group): boolean {
    return this.until.has(group)
  }

  trip(group: Group, reason: string): void {
    const until = this.clock.now() + this.cooldownMs
    const was = this.until.has(group)
    this.until.set(group, until)
    if (!was) this.emit('fallback', { group, reason, until })
  }

  /** May this group use the BFF now? Probes `/health` once its cooldown is over. */
  async bffAllowed(group: Group): Promise<boolean> {
    const until = this.until.get(group)
    if (until === undefined) return true
    if (this.clock.now() < until) return false
    this.probing ??= this.probe().finally(() => {
      this.probing = undefined
    })
    const healthy = await this.probing
    if (healthy) {
      if (this.until.delete(group)) this.emit('recovered', group)
      return true
    }
    this.until.set(group, this.clock.now() + this.cooldownMs)
    return false
  }
}

/** Whether an error means "the BFF is down" (fall back) rather than "the request is wrong" (don't). */
export function isBffOutage(err: unknown): boolean {
  const status = (err as { status?: unknown })?.status
  if (typeof status === 'number') return status === 502 || status === 503 || status === 504
  const code = (err as { code?: unknown })?.code
  if (code === 'UPSTREAM_UNAVAILABLE' || code === 'UPSTREAM_TIMEOUT') return true
  // fetch's network failure, or its timeout (a hung BFF)
  return err instanceof TypeError || (err as { name?: unknown })?.name === 'TimeoutError'
}
