import { type Bar, type BarTimeframe, isoZ, type Workdir } from '../data/workdir.js'
import { json, type Reply, rawJson, Unhandled } from '../http/reply.js'
import { pyFloatRepr, pyString } from '../py-json.js'
import { boolParam, intParam, pyDate, pyInt, QueryErrors, requiredString } from '../py-params.js'

const DAY_MS = 86_400_000
const MINUTE_MS = 60_000
/** The strides `/bars/minute_decimated` chooses from. */
export const DECIMATION_STRIDES = [1, 2, 5, 10, 15, 30, 60, 120, 240] as const

type Kind = 'daily' | 'minute' | 'hour' | 'minute_decimated'

const noData = (): Reply => json(404, { detail: 'No data for symbol/year range' })

/** Serves `GET /bars/{kind}` exactly as the upstream does, quirks included (see the contract §6). */
export async function barsRoute(kind: Kind, q: URLSearchParams, wd: Workdir): Promise<Reply> {
  const errors = new QueryErrors()
  const symbol = requiredString(q, 'symbol', errors)
  const daily = kind === 'daily'
  const from = daily ? q.get('from') : requiredString(q, 'from', errors)
  const to = daily ? q.get('to') : requiredString(q, 'to', errors)
  const target = kind === 'minute_decimated' ? intParam(q, 'target', errors, 10_000) : 0
  if (!daily) boolParam(q, 'rth_only', errors, true) // validated, no visible effect upstream
  if (errors.failed) return json(422, { detail: errors.items as never })

  // Years come from the first four characters before any date parsing (so `abcd-01-01` is a 500 even on hour).
  const yearOf = (s: string | null, fallback: number): number => {
    if (s === null) return fallback
    const y = pyInt(s.slice(0, 4))
    if (y === undefined) throw new Unhandled(`invalid literal for int(): ${s.slice(0, 4)}`)
    return y
  }
  const fromYear = yearOf(from, Number.NEGATIVE_INFINITY)
  const toYear = yearOf(to, Number.POSITIVE_INFINITY)
  const years = (await wd.barYears(symbol)).filter((y) => y >= fromYear && y <= toYear)
  if (years.length === 0) return noData()

  const parse = (s: string | null, fallback: number): number => {
    if (s === null) return fallback
    const ms = pyDate(s)
    if (ms === undefined) {
      if (kind === 'hour') throw new BadDate()
      throw new Unhandled(`Invalid isoformat string: '${s}'`)
    }
    return ms
  }
  let start: number
  let end: number
  try {
    start = parse(from, Number.NEGATIVE_INFINITY)
    end = parse(to, Number.POSITIVE_INFINITY - DAY_MS) + DAY_MS - 1000 // to 23:59:59Z inclusive
  } catch (err) {
    if (err instanceof BadDate) return json(400, { detail: 'Invalid from/to format; expected YYYY-MM-DD' })
    throw err
  }

  const tf: BarTimeframe = daily ? '1Day' : '1Min'
  const rows: Bar[] = []
  for (const year of years) {
    const bars = await wd.bars(symbol, year, tf)
    if (!bars) continue
    for (const b of bars) if (b.t >= start && b.t <= end) rows.push(b)
  }

  const head = `{"symbol":${pyString(symbol)},"bars":[`
  switch (kind) {
    case 'daily':
      return rawJson(200, `${head}${rows.map(dailyBar).join(',')}]}`)
    case 'minute':
      return rawJson(200, `${head}${rows.map(minuteBar).join(',')}]}`)
    case 'hour': {
      if (rows.length === 0) return json(404, { detail: 'No data rows in requested window' })
      const bars = bucketBars(rows, (t) => Math.floor((t - 30 * MINUTE_MS) / 3_600_000) * 3_600_000 + 30 * MINUTE_MS)
      return rawJson(200, `${head}${bars.map(minuteBar).join(',')}]}`)
    }
    case 'minute_decimated': {
      const stride = decimationStride(start, end, target)
      const width = stride * MINUTE_MS
      const bars = bucketBars(rows, (t) => Math.floor(t / width) * width)
      return rawJson(200, `${head}${bars.map(minuteBar).join(',')}],"meta":{"stride_minutes":${stride},"points":${bars.length}}}`)
    }
  }
}

class BadDate extends Error {}

/**
 * The upstream's stride rule: whole minutes in the window divided by `max(1, target)`, then the nearest
 * allowed stride (ties go to the smaller one).
 */
export function decimationStride(startMs: number, endMs: number, target: number): number {
  const total = Math.floor((endMs - startMs) / MINUTE_MS)
  const raw = Math.floor(total / Math.max(1, target))
  let best: number = DECIMATION_STRIDES[0]
  for (const s of DECIMATION_STRIDES) if (Math.abs(s - raw) < Math.abs(best - raw)) best = s
  return best
}

/** OHLCV bucketing: open first, high max, low min, close last, volume summed; buckets in time order. */
export function bucketBars(rows: readonly Bar[], bucketOf: (t: number) => number): Bar[] {
  const out: Bar[] = []
  let cur: Bar | undefined
  for (const b of rows) {
    const t = bucketOf(b.t)
    if (cur && cur.t === t) {
      if (b.h > cur.h) cur.h = b.h
      if (b.l < cur.l) cur.l = b.l
      cur.c = b.c
      cur.v += b.v
      cur.n += b.n
    } else {
      cur = { t, o: b.o, h: b.h, l: b.l, c: b.c, v: b.v, n: b.n }
      out.push(cur)
    }
  }
  return out
}

const f = pyFloatRepr
const minuteBar = (b: Bar): string => `{"t":"${isoZ(b.t)}","o":${f(b.o)},"h":${f(b.h)},"l":${f(b.l)},"c":${f(b.c)},"v":${b.v}}`
const dailyBar = (b: Bar): string => `{"t":"${isoZ(b.t)}","o":${f(b.o)},"h":${f(b.h)},"l":${f(b.l)},"c":${f(b.c)},"v":${b.v},"n":${b.n}}`
