const DAY_MS = 86_400_000

/** nth weekday (0 = Sunday) of a month, as a UTC day start. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  const first = Date.UTC(year, month, 1)
  const offset = (weekday - new Date(first).getUTCDay() + 7) % 7
  return first + (offset + (n - 1) * 7) * DAY_MS
}

/** Whether New York observes daylight time on that UTC date (2nd Sunday of March .. 1st Sunday of November). */
export function isNewYorkDst(dayStartMs: number): boolean {
  const year = new Date(dayStartMs).getUTCFullYear()
  return dayStartMs >= nthWeekday(year, 2, 0, 2) && dayStartMs < nthWeekday(year, 10, 0, 1)
}

const FIXED_HOLIDAYS = new Set(['01-01', '07-04', '12-25'])

/** Weekdays minus the fixed-date US market holidays: a simple, deterministic trading calendar. */
export function tradingDays(year: number): number[] {
  const days: number[] = []
  for (let t = Date.UTC(year, 0, 1); t < Date.UTC(year + 1, 0, 1); t += DAY_MS) {
    const d = new Date(t)
    const dow = d.getUTCDay()
    if (dow === 0 || dow === 6) continue
    if (FIXED_HOLIDAYS.has(d.toISOString().slice(5, 10))) continue
    days.push(t)
  }
  return days
}

/** UTC start of the regular session (09:30 New York) of a trading day. */
export function sessionOpenUtc(dayStartMs: number): number {
  return dayStartMs + (isNewYorkDst(dayStartMs) ? 13.5 : 14.5) * 3_600_000
}

export const SESSION_MINUTES = 390
