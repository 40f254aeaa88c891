import { type ColumnarBars, pushBar } from './columnar.js'

const MIN = 60_000
const DAY = 86_400_000

/** A calendar-aligned bucket size: its nominal length in minutes and the start of the bucket of `t`. */
export interface Bucket {
  minutes: number
  /** The longest a bucket can be (calendar months differ), for the point lower bound. */
  maxMinutes: number
  label: string
  start(t: number): number
}

const fixed = (minutes: number, label: string, offsetMs = 0): Bucket => ({
  minutes,
  maxMinutes: minutes,
  label,
  // Fixed-width windows counted from the Unix epoch in UTC — exactly the upstream's minute_decimated.
  start: (t) => Math.floor((t - offsetMs) / (minutes * MIN)) * minutes * MIN + offsetMs,
})

const calendar = (minutes: number, label: string, monthsPer: number, maxDays: number): Bucket => ({
  minutes,
  maxMinutes: maxDays * 1440,
  label,
  start: (t) => {
    const d = new Date(t)
    const m = d.getUTCMonth()
    return Date.UTC(d.getUTCFullYear(), m - (m % monthsPer), 1)
  },
})

/**
 * The bucket ladder: the upstream's strides (1…240 minutes), then day, ISO week (Monday-aligned), month,
 * quarter and year, so that any timeframe over any span can be brought under a point budget.
 */
export const BUCKETS: readonly Bucket[] = [
  ...[1, 2, 5, 10, 15, 30, 60, 120, 240].map((m) => fixed(m, `${m}m`)),
  fixed(1440, '1d'),
  fixed(10_080, '1w', 4 * DAY), // 1970-01-05 was a Monday
  calendar(43_200, '1mo', 1, 31),
  calendar(129_600, '1q', 3, 92),
  calendar(525_600, '1y', 12, 366),
]

/** How many buckets `bars` fall into (bars are in ascending time). */
export function countBuckets(bars: ColumnarBars, bucket: Bucket): number {
  let n = 0
  let last = Number.NaN
  for (const t of bars.t) {
    const s = bucket.start(t)
    if (s !== last) {
      n++
      last = s
    }
  }
  return n
}

/**
 * OHLCV bucketing: open = first, high = max, low = min, close = last, volume = sum; `t` = bucket start
 * (which may precede the bucket's first bar, as the upstream's). Bars must be in ascending time.
 */
export function bucketOhlc(bars: ColumnarBars, bucket: Bucket): ColumnarBars {
  const out: ColumnarBars = { t: [], o: [], h: [], l: [], c: [], v: [] }
  let k = -1
  let last = Number.NaN
  for (let i = 0; i < bars.t.length; i++) {
    const s = bucket.start(bars.t[i] as number)
    if (s !== last) {
      last = s
      k++
      pushBar(out, bars, i, s)
    } else {
      if ((bars.h[i] as number) > (out.h[k] as number)) out.h[k] = bars.h[i] as number
      if ((bars.l[i] as number) < (out.l[k] as number)) out.l[k] = bars.l[i] as number
      out.c[k] = bars.c[i] as number
      out.v[k] = (out.v[k] as number) + (bars.v[i] as number)
    }
  }
  return out
}

/**
 * The smallest bucket, at least `minMinutes` long, that brings `bars` to at most `target` points — or the
 * largest bucket when none does (reported, never truncated).
 */
export function chooseBucket(bars: ColumnarBars, target: number, minMinutes: number): { bucket: Bucket; points: number } {
  const ladder = BUCKETS.filter((b) => b.minutes >= minMinutes)
  const n = bars.t.length
  for (const bucket of ladder) {
    // Bars have distinct timestamps on a `minMinutes` grid, so a bucket holds at most maxMinutes/minMinutes
    // of them: when even that many buckets exceed the target, skip the counting pass.
    if (Math.ceil((n * minMinutes) / bucket.maxMinutes) > target && bucket !== ladder.at(-1)) continue
    const points = countBuckets(bars, bucket)
    if (points <= target) return { bucket, points }
  }
  const last = ladder.at(-1) as Bucket
  return { bucket: last, points: countBuckets(bars, last) }
}
