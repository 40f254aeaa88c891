/**
 * How the upstream's stack (uvicorn, Starlette, FastAPI on pydantic 1, Python 3.11) reads a request, as far
 * as the guard needs it: what Python accepts decides what crashes the upstream, so the guard must use the
 * same rules rather than stricter ones of its own.
 */

const INT_RE = /^[+-]?\d+(?:_\d+)*$/

/** Python `int(str)`: surrounding whitespace, a sign and `_` separators are fine; anything else raises. */
export function pyInt(raw: string): number | undefined {
  const s = raw.trim()
  if (!INT_RE.test(s)) return undefined
  return Number.parseInt(s.replaceAll('_', ''), 10)
}

const BOOL_WORDS = new Set(['0', 'off', 'f', 'false', 'n', 'no', '1', 'on', 't', 'true', 'y', 'yes'])

/** Whether pydantic 1 coerces this query string to a bool (otherwise FastAPI answers 422). */
export const isPyBool = (raw: string): boolean => BOOL_WORDS.has(raw.toLowerCase())

/** Whether (year, month, day) is a date Python's `datetime.date` can hold. */
function isDate(year: number, month: number, day: number): boolean {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return false
  const d = new Date(0)
  d.setUTCFullYear(year, month - 1, day)
  return d.getUTCMonth() === month - 1 && d.getUTCDate() === day
}

/** Whether ISO week `week` (1..53) exists in `year`: week 53 only in "long" years. */
function isIsoWeek(year: number, week: number): boolean {
  if (week < 1 || week > 53) return false
  if (week < 53) return true
  const jan1 = new Date(0)
  jan1.setUTCFullYear(year, 0, 1)
  const dow = jan1.getUTCDay() // 0 = Sunday
  const leap = isDate(year, 2, 29)
  return dow === 4 || (leap && dow === 3)
}

/**
 * Whether Python 3.11's `date.fromisoformat` accepts `s`: `YYYY-MM-DD`, `YYYYMMDD`, and ISO week dates
 * `YYYY-Www-D` / `YYYYWwwD`. Everything else (`2024-02-30`, `2024-12-02T00:00:00Z`, `Nov 15 2024`) raises.
 */
export function isPyIsoDate(s: string): boolean {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(s)
  if (m) return isDate(Number(m[1]), Number(m[2]), Number(m[3]))
  m = /^(\d{4})-W(\d{2})-(\d)$/.exec(s) ?? /^(\d{4})W(\d{2})(\d)$/.exec(s)
  if (m) {
    const year = Number(m[1])
    const dow = Number(m[3])
    return year >= 1 && dow >= 1 && dow <= 7 && isIsoWeek(year, Number(m[2]))
  }
  return false
}

/**
 * The path as uvicorn hands it to the router: `urllib.parse.unquote` of the raw path — every valid
 * `%XX` decoded (`%2F` included), invalid escapes left as they are, bytes read as UTF-8 with replacement.
 */
export function pyUnquote(raw: string): string {
  if (!raw.includes('%')) return raw
  const bytes: number[] = []
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (c === 0x25 && i + 2 < raw.length && /^[0-9A-Fa-f]{2}$/.test(raw.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(raw.slice(i + 1, i + 3), 16))
      i += 2
    } else if (c < 0x100) {
      // Node reads the request line as latin1: one char per byte on the wire.
      bytes.push(c)
    } else {
      for (const b of new TextEncoder().encode(raw[i] as string)) bytes.push(b)
    }
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(bytes))
}
