import { describe, expect, it } from 'vitest'
import { isPyIsoDate, pyInt, pyUnquote } from './python-semantics.js'
import { guardUpstreamQuery } from './upstream-guard.js'

const guard = (path: string, qs: string, method = 'GET') => guardUpstreamQuery(method, path, new URLSearchParams(qs))
const fields = (path: string, qs: string) => guard(path, qs).map((i) => i.field)

describe('guardUpstreamQuery (only what the upstream cannot answer itself)', () => {
  // path, query: requests that are fine, and requests the upstream answers itself (FastAPI's own 422s).
  const UNTOUCHED = `
    /bars/daily              symbol=AAPL
    /bars/minute             symbol=BRK.B&from=2024-12-02&to=2024-12-06&rth_only=false
    /bars/minute_decimated   symbol=AAPL&from=2024-01-01&to=2024-12-31&target=0
    /backtests               limit=-3&offset=10&order=bogus&symbol=aapl
    /backtests/abc           anything=goes
    /bars/daily              -
    /bars/minute             symbol=AAPL
    /bars/minute_decimated   target=abc
    /bars/minute_decimated   symbol=AAPL&from=2024-13-01&to=2024-12-31&target=abc
    /bars/hour               symbol=AAPL&from=abcd-01-01&to=2024-01-02&rth_only=maybe
    /backtests               limit=abc&offset=1.5`

  it('lets valid requests and those FastAPI itself answers with 422 through untouched', () => {
    for (const line of UNTOUCHED.trim().split('\n')) {
      const [path, qs] = line.trim().split(/\s+/) as [string, string]
      expect(guard(path, qs === '-' ? '' : qs), line).toEqual([])
    }
  })

  it('stops dates that crash the upstream (500), on every bars endpoint but hour', () => {
    for (const d of ['2024-13-01', '2024-02-30', '2024-12-02T00:00:00Z', 'Nov 15 2024']) {
      expect(fields('/bars/minute', `symbol=AAPL&from=${d}&to=2024-12-31`)).toEqual(['from'])
      expect(fields('/bars/daily', `symbol=AAPL&to=${d}`)).toEqual(['to'])
    }
    // /bars/hour answers month/day errors itself with a 400 …
    expect(guard('/bars/hour', 'symbol=AAPL&from=2024-13-01&to=2024-12-31')).toEqual([])
    expect(guard('/bars/hour', 'symbol=AAPL&from=2024-02-30&to=2024-12-31')).toEqual([])
    // … but crashes on a non-numeric year like the others.
    expect(fields('/bars/hour', 'symbol=AAPL&from=abcd-01-01&to=2024-12-31')).toEqual(['from'])
  })

  it('lets through every date Python 3.11 accepts', () => {
    for (const d of ['20241202', '2024-W49-1', '2024W491', '2020-W53-5']) {
      expect(guard('/bars/minute', `symbol=AAPL&from=${d}&to=${d}`)).toEqual([])
    }
  })

  it('stops symbols that leave the bars folder, in any position', () => {
    for (const s of ['../bars/AAPL', '..', '.', 'a\\b', 'a%00b']) {
      expect(fields('/bars/daily', `symbol=${encodeURIComponent(decodeURIComponent(s))}`)).toEqual(['symbol'])
    }
    expect(fields('/bars/daily', 'symbol=AAPL&symbol=..%2Fx')).toEqual(['symbol'])
    expect(guard('/bars/daily', 'symbol=aapl')).toEqual([]) // the upstream's own 404
  })

  it('reads repeated parameters as Starlette does (last value wins)', () => {
    expect(guard('/bars/minute', 'symbol=AAPL&from=2024-13-01&from=2024-12-01&to=2024-12-31')).toEqual([])
    expect(fields('/bars/minute', 'symbol=AAPL&from=2024-12-01&from=2024-13-01&to=2024-12-31')).toEqual(['from'])
  })

  it('does not guard other methods, POST bodies or unknown routes', () => {
    expect(guard('/bars/daily', 'symbol=..', 'HEAD')).toEqual([])
    expect(guard('/backtests', 'limit=abc', 'POST')).toEqual([])
  })
})

describe('Python semantics', () => {
  it('parses int() like Python', () => {
    expect(pyInt(' 12 ')).toBe(12)
    expect(pyInt('1_000')).toBe(1000)
    expect(pyInt('+7')).toBe(7)
    expect(pyInt('1.5')).toBeUndefined()
    expect(pyInt('0x10')).toBeUndefined()
  })
  it('accepts exactly what date.fromisoformat accepts', () => {
    expect(isPyIsoDate('2024-02-29')).toBe(true)
    expect(isPyIsoDate('2023-02-29')).toBe(false)
    expect(isPyIsoDate('2021-W53-1')).toBe(false) // 2021 has 52 ISO weeks
    expect(isPyIsoDate('2024-12')).toBe(false)
  })
  it('unquotes paths like urllib.parse.unquote', () => {
    expect(pyUnquote('/bars/%64aily')).toBe('/bars/daily')
    expect(pyUnquote('/bars%2Fdaily')).toBe('/bars/daily')
    expect(pyUnquote('/a%zz%4')).toBe('/a%zz%4')
    expect(pyUnquote('/caf%C3%A9')).toBe('/café')
  })
})
