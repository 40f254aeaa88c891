/**
 * Python-compatible JSON.
 *
 * The upstream is a Python service: its floats print as `255.0` and `1e-05`, its REST bodies are compact
 * (`{"a":1}`) and its streamed payloads use `json.dumps` spacing (`{"t": "hb"}`). JavaScript has a single
 * number type, so a float whose value is whole would print as `255` — a different byte stream. Values that
 * Python holds as floats are therefore wrapped in {@link PyFloat} wherever they are produced or parsed.
 */

/** A number that Python holds as a `float` (prints with a decimal point or an exponent). */
export class PyFloat {
  constructor(readonly value: number) {}
}

export const pyFloat = (value: number): PyFloat => new PyFloat(value)

/**
 * `repr(float)` of CPython: the shortest round-tripping digits (as in JavaScript), but in positional notation
 * only for decimal exponents -4..15, and always with a `.0` when the value is whole.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN'
  if (x === Infinity) return 'Infinity'
  if (x === -Infinity) return '-Infinity'
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0'
  // toExponential() yields the same shortest digits as repr(), with an exact decimal exponent.
  const [mantissa, expText] = x.toExponential().split('e') as [string, string]
  const e = Number(expText)
  if (e >= -4 && e <= 15) {
    const s = String(x)
    return s.includes('.') ? s : `${s}.0`
  }
  const sign = e < 0 ? '-' : '+'
  const digits = String(Math.abs(e)).padStart(2, '0')
  return `${mantissa}e${sign}${digits}`
}

export type PyValue = null | boolean | number | bigint | string | PyFloat | PyValue[] | { [key: string]: PyValue | undefined }

export interface DumpOptions {
  /** `(",", ":")` as Starlette's JSONResponse, or Python's default `(", ", ": ")` as the streams. */
  spaced?: boolean
  /** Python's default `ensure_ascii=True` (streams); Starlette uses `False`. */
  ensureAscii?: boolean
}

const ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\b': '\\b',
  '\f': '\\f',
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what we match here
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/
const NON_ASCII = /[^\u0020-\u007e]/

export function pyString(s: string, ensureAscii = false): string {
  if (!NEEDS_ESCAPE.test(s) && !(ensureAscii && NON_ASCII.test(s))) return `"${s}"`
  let out = '"'
  for (const ch of s) {
    const code = ch.codePointAt(0) as number
    const esc = ESCAPES[ch]
    if (esc) out += esc
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, '0')}`
    else if (ensureAscii && (code < 0x20 || code > 0x7e)) {
      if (code > 0xffff) {
        const v = code - 0x10000
        out += `\\u${(0xd800 + (v >> 10)).toString(16)}\\u${(0xdc00 + (v & 0x3ff)).toString(16)}`
      } else out += `\\u${code.toString(16).padStart(4, '0')}`
    } else out += ch
  }
  return `${out}"`
}

/** `json.dumps` as the upstream calls it. Plain JS numbers print as Python ints do. */
export function pyDumps(value: PyValue | undefined, options: DumpOptions = {}): string {
  const comma = options.spaced ? ', ' : ','
  const colon = options.spaced ? ': ' : ':'
  const ascii = options.ensureAscii ?? false
  const write = (v: PyValue | undefined): string => {
    if (v === null || v === undefined) return 'null'
    if (v instanceof PyFloat) return pyFloatRepr(v.value)
    switch (typeof v) {
      case 'boolean':
        return v ? 'true' : 'false'
      case 'number':
        return Number.isInteger(v) ? String(v) : pyFloatRepr(v)
      case 'bigint':
        return v.toString()
      case 'string':
        return pyString(v, ascii)
    }
    if (Array.isArray(v)) return `[${v.map(write).join(comma)}]`
    const parts: string[] = []
    for (const [k, item] of Object.entries(v)) {
      if (item === undefined) continue
      parts.push(`${pyString(k, ascii)}${colon}${write(item)}`)
    }
    return `{${parts.join(comma)}}`
  }
  return write(value)
}

/** Thrown by {@link pyLoads} for text that Python's `json.loads` would reject. */
export class PyJsonError extends Error {
  readonly code = 'INVALID_JSON'
}

/**
 * `json.loads`: like JSON.parse, but numbers written with a fraction or exponent come back as
 * {@link PyFloat} (so they re-serialise as Python would), and `NaN`/`Infinity` are accepted as Python does.
 */
export function pyLoads(text: string): PyValue {
  let i = 0
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++
  }
  const fail = (): never => {
    throw new PyJsonError(`invalid JSON at ${i}`)
  }
  const value = (): PyValue => {
    ws()
    const ch = text[i]
    if (ch === '{') {
      i++
      const obj: Record<string, PyValue> = {}
      ws()
      if (text[i] === '}') {
        i++
        return obj
      }
      for (;;) {
        ws()
        if (text[i] !== '"') fail()
        const key = string()
        ws()
        if (text[i] !== ':') fail()
        i++
        obj[key] = value()
        ws()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === '}') {
          i++
          return obj
        }
        fail()
      }
    }
    if (ch === '[') {
      i++
      const arr: PyValue[] = []
      ws()
      if (text[i] === ']') {
        i++
        return arr
      }
      for (;;) {
        arr.push(value())
        ws()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === ']') {
          i++
          return arr
        }
        fail()
      }
    }
    if (ch === '"') return string()
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
      ['NaN', new PyFloat(Number.NaN)],
      ['Infinity', new PyFloat(Infinity)],
      ['-Infinity', new PyFloat(-Infinity)],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length
        return v
      }
    }
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400))
    if (!m) return fail()
    i += m[0].length
    if (m[1] || m[2]) return new PyFloat(Number(m[0]))
    const n = Number(m[0])
    return Number.isSafeInteger(n) ? n : BigInt(m[0])
  }
  const string = (): string => {
    const start = i
    i++
    let simple = true
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        simple = false
        i += 2
      } else {
        if ((text.charCodeAt(i) as number) < 0x20) fail()
        i++
      }
    }
    if (i >= text.length) fail()
    i++
    const raw = text.slice(start, i)
    if (simple) return raw.slice(1, -1)
    try {
      return JSON.parse(raw) as string
    } catch {
      return fail()
    }
  }
  const result = value()
  ws()
  if (i !== text.length) fail()
  return result
}
