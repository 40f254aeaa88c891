/**
 * Query-parameter coercion with the semantics of the upstream's stack (FastAPI 0.92 on pydantic 1):
 * `int("1.5")` fails, `" 7 "` and `"1_000"` pass, booleans accept `yes`/`off`/`1`..., and every failure
 * becomes one item of a 422 `{"detail":[...]}` body in declaration order.
 */

export interface ValidationItem {
  loc: [string, string]
  msg: string
  type: string
}

export class QueryErrors {
  readonly items: ValidationItem[] = []
  missing(name: string): void {
    this.items.push({ loc: ['query', name], msg: 'field required', type: 'value_error.missing' })
  }
  add(name: string, msg: string, type: string): void {
    this.items.push({ loc: ['query', name], msg, type })
  }
  get failed(): boolean {
    return this.items.length > 0
  }
}

const INT_RE = /^[+-]?\d+(?:_\d+)*$/
/** Python `int(str)`. */
export function pyInt(raw: string): number | undefined {
  const s = raw.trim()
  if (!INT_RE.test(s)) return undefined
  return Number.parseInt(s.replaceAll('_', ''), 10)
}

const FLOAT_RE = /^[+-]?(?:(?:\d+(?:_\d+)*)?\.?\d+(?:_\d+)*(?:[eE][+-]?\d+(?:_\d+)*)?|\d+(?:_\d+)*\.(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i
/** Python `float(str)`. */
export function pyFloatParse(raw: string): number | undefined {
  const s = raw.trim()
  if (!FLOAT_RE.test(s)) return undefined
  const lower = s.toLowerCase().replace(/^[+]/, '')
  if (lower.endsWith('inf') || lower.endsWith('infinity')) return lower.startsWith('-') ? -Infinity : Infinity
  if (lower.endsWith('nan')) return Number.NaN
  return Number(s.replaceAll('_', ''))
}

const TRUE = new Set(['1', 'on', 't', 'true', 'y', 'yes'])
const FALSE = new Set(['0', 'off', 'f', 'false', 'n', 'no'])
/** pydantic 1 `bool` coercion from a string. */
export function pyBool(raw: string): boolean | undefined {
  const s = raw.toLowerCase()
  if (TRUE.has(s)) return true
  if (FALSE.has(s)) return false
  return undefined
}

export function intParam(q: URLSearchParams, name: string, errors: QueryErrors, fallback: number): number {
  const raw = q.get(name)
  if (raw === null) return fallback
  const v = pyInt(raw)
  if (v === undefined) errors.add(name, 'value is not a valid integer', 'type_error.integer')
  return v ?? fallback
}

export function floatParam(q: URLSearchParams, name: string, errors: QueryErrors, fallback: number): number {
  const raw = q.get(name)
  if (raw === null) return fallback
  const v = pyFloatParse(raw)
  if (v === undefined) errors.add(name, 'value is not a valid float', 'type_error.float')
  return v ?? fallback
}

export function boolParam(q: URLSearchParams, name: string, errors: QueryErrors, fallback: boolean): boolean {
  const raw = q.get(name)
  if (raw === null) return fallback
  const v = pyBool(raw)
  if (v === undefined) errors.add(name, 'value could not be parsed to a boolean', 'type_error.bool')
  return v ?? fallback
}

export function requiredString(q: URLSearchParams, name: string, errors: QueryErrors): string {
  const raw = q.get(name)
  if (raw === null) {
    errors.missing(name)
    return ''
  }
  return raw
}

/** Days since the Unix epoch of a proleptic Gregorian date, or undefined for an impossible date. */
export function epochDay(year: number, month: number, day: number): number | undefined {
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1) return undefined
  const ms = Date.UTC(year, month - 1, day)
  const d = new Date(ms)
  if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return undefined
  // Date.UTC maps years 0..99 to 1900..1999; Hewston dates never go there, but be exact anyway.
  if (year < 100) return undefined
  return Math.round(ms / 86_400_000)
}

/**
 * Python 3.11 `date.fromisoformat`: `YYYY-MM-DD`, `YYYYMMDD`, and ISO week dates `YYYY-Www-D` / `YYYYWwwD`.
 * Returns the UTC midnight in ms, or undefined where Python raises ValueError.
 */
export function pyDate(s: string): number | undefined {
  let m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(s)
  if (m) {
    const d = epochDay(Number(m[1]), Number(m[2]), Number(m[3]))
    return d === undefined ? undefined : d * 86_400_000
  }
  m = /^(\d{4})-W(\d{2})-(\d)$/.exec(s) ?? /^(\d{4})W(\d{2})(\d)$/.exec(s)
  if (m) {
    const year = Number(m[1])
    const week = Number(m[2])
    const dow = Number(m[3])
    if (week < 1 || week > 53 || dow < 1 || dow > 7 || year < 100) return undefined
    const jan4 = Date.UTC(year, 0, 4)
    const jan4Dow = ((new Date(jan4).getUTCDay() + 6) % 7) + 1
    const ms = jan4 - (jan4Dow - 1) * 86_400_000 + ((week - 1) * 7 + (dow - 1)) * 86_400_000
    // Week 53 only exists in long years.
    if (week === 53) {
      const dec28 = Date.UTC(year, 11, 28)
      const lastWeekStart = dec28 - ((new Date(dec28).getUTCDay() + 6) % 7) * 86_400_000
      if (ms - (dow - 1) * 86_400_000 > lastWeekStart) return undefined
    }
    return ms
  }
  return undefined
}
