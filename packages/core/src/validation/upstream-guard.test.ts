import { describe, expect, it } from 'vitest'
import { guardUpstreamQuery } from './upstream-guard.js'

const guard = (path: string, qs: string, method = 'GET') => guardUpstreamQuery(method, path, new URLSearchParams(qs))

describe('guardUpstreamQuery', () => {
  it('lets valid bar and list requests through untouched', () => {
    expect(guard('/bars/daily', 'symbol=AAPL')).toEqual([])
    expect(guard('/bars/minute', 'symbol=BRK.B&from=2024-12-02&to=2024-12-06&rth_only=false')).toEqual([])
    expect(guard('/bars/minute_decimated', 'symbol=AAPL&from=2024-01-01&to=2024-12-31&target=0')).toEqual([])
    expect(guard('/backtests', 'limit=-3&offset=10&order=bogus&symbol=aapl')).toEqual([])
    expect(guard('/backtests/abc', 'anything=goes')).toEqual([])
  })
  it('stops path traversal in symbol', () => {
    expect(guard('/bars/daily', 'symbol=../bars/AAPL')).toEqual([{ field: 'symbol', message: expect.stringMatching(/must match/) }])
  })
  it('stops impossible or non-ISO dates the upstream would 500 on', () => {
    for (const d of ['2024-13-01', '2024-02-30', 'abcd-01-01', '2024-12-02T00:00:00Z', '20241202']) {
      expect(guard('/bars/minute', `symbol=AAPL&from=${d}&to=2024-12-31`)[0]?.field).toBe('from')
    }
  })
  it('names every missing or non-integer field', () => {
    expect(guard('/bars/minute_decimated', 'target=abc').map((i) => i.field)).toEqual(['symbol', 'from', 'to', 'target'])
    expect(guard('/backtests', 'limit=abc&offset=1.5').map((i) => i.field)).toEqual(['limit', 'offset'])
    expect(guard('/bars/hour', 'symbol=AAPL&from=2024-01-01&to=2024-01-02&rth_only=maybe').map((i) => i.field)).toEqual(['rth_only'])
  })
  it('does not guard POST bodies or unknown routes', () => {
    expect(guard('/backtests', 'limit=abc', 'POST')).toEqual([])
  })
})
