import type { CallOptions, Upstream } from '../upstream/upstream.js'
import { type ColumnarBars, toColumnar } from './columnar.js'

/** The strides `/bars/minute_decimated` offers (minutes) — also the start of the BFF's bucket ladder. */
export const UPSTREAM_STRIDES = [1, 2, 5, 10, 15, 30, 60, 120, 240] as const
export type UpstreamStride = (typeof UPSTREAM_STRIDES)[number]

const MINUTE = 60_000
/** Regular-hours minutes of a session: the estimate's bars per weekday. */
const SESSION_MINUTES = 390

/** The upstream's stride rule (contract §6): whole minutes / max(1, target), nearest stride, ties to the smaller. */
export function upstreamStride(totalMinutes: number, target: number): UpstreamStride {
  const raw = Math.floor(totalMinutes / Math.max(1, target))
  let best: UpstreamStride = UPSTREAM_STRIDES[0]
  for (const s of UPSTREAM_STRIDES) if (Math.abs(s - raw) < Math.abs(best - raw)) best = s
  return best
}

/** A `target` that makes the upstream choose `stride` for a window of `totalMinutes`. */
export function targetForStride(totalMinutes: number, stride: UpstreamStride): number {
  const guess = Math.max(1, Math.floor(totalMinutes / stride))
  for (const t of [guess, guess + 1, guess - 1, guess + 2, guess - 2]) if (t >= 1 && upstreamStride(totalMinutes, t) === stride) return t
  throw new Error(`no target selects stride ${stride} for ${totalMinutes} minutes`)
}

function weekdays(fromDate: string, toDate: string): number {
  let n = 0
  for (let t = Date.parse(fromDate); t <= Date.parse(toDate); t += 86_400_000) {
    const d = new Date(t).getUTCDay()
    if (d !== 0 && d !== 6) n++
  }
  return n
}

export interface UpstreamDecimation {
  stride: UpstreamStride
  bars: ColumnarBars
  /** Exact number of minute bars in the window when the stride-1 answer was fetched, else null (unknown). */
  totalBars: number | null
  upstreamCalls: number
}

/**
 * A decimated minute chart straight from the upstream's `/bars/minute_decimated`, which buckets exactly as
 * the BFF does (epoch-aligned windows, OHLCV) — so a cold chart costs one or two small upstream answers
 * instead of a year of raw minutes. The stride is the BFF's own choice, not the upstream's: the smallest on
 * the ladder whose bucket count fits `target`. It is proven, not guessed: the candidate strides around an
 * estimate are fetched in parallel (each steered by the `target` that selects it), and every smaller
 * stride is shown not to fit — fetched, or bounded by one that was: a stride dividing a non-fitting one has
 * at least as many buckets, and any shorter stride at least half as many (each of its buckets touches at
 * most two of the longer one's).
 *
 * Returns undefined when no upstream stride fits (the answer needs a day or longer bucket: the caller
 * buckets chunks itself).
 */
export async function decimateViaUpstream(
  upstream: Upstream,
  query: { symbol: string; from_date: string; to_date: string; rth_only: boolean },
  target: number,
  options: CallOptions,
): Promise<UpstreamDecimation | undefined> {
  const totalMinutes = Math.floor((Date.parse(query.to_date) + 86_400_000 - 1000 - Date.parse(query.from_date)) / MINUTE)
  const sessions = weekdays(query.from_date, query.to_date)
  const estimate = (s: number) => sessions * Math.ceil(SESSION_MINUTES / s)
  const fetched = new Map<UpstreamStride, ColumnarBars>()
  let calls = 0
  const fetch = (strides: UpstreamStride[]) =>
    Promise.all(
      strides
        .filter((s) => !fetched.has(s))
        .map(async (s) => {
          calls++
          const q = {
            symbol: query.symbol,
            from: query.from_date,
            to: query.to_date,
            target: targetForStride(totalMinutes, s),
            rth_only: query.rth_only,
          }
          const res = await upstream.minuteDecimatedBars(q, options)
          // Without `meta` the stride cannot be proven: not exact, so not used (the caller falls back to chunks).
          if (res.meta?.stride_minutes !== s)
            throw new Error(`upstream chose stride ${res.meta?.stride_minutes ?? 'unknown'}, asked for ${s}`)
          fetched.set(s, toColumnar(res.bars))
        }),
    )
  const count = (s: UpstreamStride) => (fetched.get(s) as ColumnarBars).t.length
  const fits = (s: UpstreamStride) => fetched.has(s) && count(s) <= target
  /** Whether stride `s` provably has more than `target` buckets, from what was fetched. */
  const overflows = (s: UpstreamStride) =>
    [...fetched.keys()].some((f) => f >= s && ((f % s === 0 && count(f) > target) || (f > s && Math.ceil(count(f) / 2) > target)))

  // The calendar overestimates sparse data: when it says nothing fits, the largest strides are still asked.
  const found = UPSTREAM_STRIDES.findIndex((s) => estimate(s) <= target)
  const guess = found === -1 ? UPSTREAM_STRIDES.length - 1 : found
  await fetch(UPSTREAM_STRIDES.slice(Math.max(0, guess - 1), guess + 1))
  for (;;) {
    // No bucket at some stride means no bar at all in the window.
    const empty = [...fetched.keys()].find((s) => count(s) === 0)
    if (empty !== undefined) return { stride: 1, bars: fetched.get(empty) as ColumnarBars, totalBars: 0, upstreamCalls: calls }
    // What the data says so far: about count × stride minutes hold bars (the calendar estimate misses gaps).
    const [densest] = [...fetched.keys()].sort((a, b) => a - b)
    const minutes = count(densest as UpstreamStride) * (densest as number)
    const predicted = (s: number) => minutes / s
    const fitting = UPSTREAM_STRIDES.find((s) => fits(s))
    if (fitting === undefined) {
      const largest = Math.max(...fetched.keys())
      const larger = UPSTREAM_STRIDES.filter((s) => s > largest)
      if (larger.length === 0) return undefined
      await fetch([larger.find((s) => predicted(s) <= target) ?? (larger[0] as UpstreamStride)])
      continue
    }
    const unproven = UPSTREAM_STRIDES.filter((s) => s < fitting && !overflows(s))
    if (unproven.length === 0) {
      return {
        stride: fitting,
        bars: fetched.get(fitting) as ColumnarBars,
        totalBars: fetched.has(1) ? count(1) : null,
        upstreamCalls: calls,
      }
    }
    // A smaller stride that may fit comes with the one below it (to prove it is the smallest); otherwise the
    // largest unproven one, whose overflow proves its divisors too.
    const mayFit = [...unproven].reverse().find((s) => predicted(s) <= target * 1.02)
    if (mayFit !== undefined) {
      const below = UPSTREAM_STRIDES.filter((s) => s < mayFit).at(-1)
      await fetch(below === undefined ? [mayFit] : [below, mayFit])
    } else await fetch([unproven.at(-1) as UpstreamStride])
  }
}
