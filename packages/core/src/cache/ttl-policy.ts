export interface TtlPolicyOptions {
  /** Chunks that include today (or later): default 5 min. */
  todayMs?: number
  /** Chunks that end within `recentDays` of today: default 1 h. */
  recentMs?: number
  /** Everything older: default 24 h. */
  olderMs?: number
  recentDays?: number
}

/** TTL by recency of the data's end date (`YYYY-MM-DD`), relative to `nowMs`. */
export class TtlPolicy {
  readonly todayMs: number
  readonly recentMs: number
  readonly olderMs: number
  readonly recentDays: number
  constructor(options: TtlPolicyOptions = {}) {
    this.todayMs = options.todayMs ?? 5 * 60_000
    this.recentMs = options.recentMs ?? 60 * 60_000
    this.olderMs = options.olderMs ?? 24 * 60 * 60_000
    this.recentDays = options.recentDays ?? 30
  }

  ttlFor(endDate: string, nowMs: number): number {
    const today = new Date(nowMs).toISOString().slice(0, 10)
    if (endDate >= today) return this.todayMs
    const ageDays = (Date.parse(today) - Date.parse(endDate)) / 86_400_000
    return ageDays <= this.recentDays ? this.recentMs : this.olderMs
  }
}
