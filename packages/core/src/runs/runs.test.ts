import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decimateEquity } from './decimate-equity.js'
import { computeMetrics } from './metrics.js'
import { parseRunCompleteQuery } from './query.js'

const curve = (values: number[]) =>
  values.map((value, i) => ({ ts: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString().replace('.000Z', 'Z'), value }))

describe('decimateEquity (min/max per bucket)', () => {
  it('keeps first, last, the global extremes and time order, within the budget', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 3000 }),
        fc.integer({ min: 10, max: 500 }),
        (values, points) => {
          const eq = curve(values)
          const out = decimateEquity(eq, points)
          expect(out.length).toBeLessThanOrEqual(Math.max(points, Math.min(eq.length, points)))
          expect(out[0]).toEqual(eq[0])
          expect(out.at(-1)).toEqual(eq.at(-1))
          expect(out.map((p) => p.value)).toContain(Math.max(...values))
          expect(out.map((p) => p.value)).toContain(Math.min(...values))
          for (let i = 1; i < out.length; i++) expect((out[i]?.ts as string) >= (out[i - 1]?.ts as string)).toBe(true)
        },
      ),
    )
  })
  it('returns the full curve for 0', () => {
    const eq = curve([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    expect(decimateEquity(eq, 0)).toEqual(eq)
  })
})

describe('computeMetrics', () => {
  it('computes total return, drawdown, CAGR, volatility, Sharpe and Sortino by the documented formulas', () => {
    const eq = [
      { ts: '2024-01-01T00:00:00Z', value: 100 },
      { ts: '2024-01-02T00:00:00Z', value: 110 },
      { ts: '2024-01-03T00:00:00Z', value: 99 },
      { ts: '2024-01-04T00:00:00Z', value: 121 },
    ]
    const m = computeMetrics(eq)
    expect(m.total_return).toBeCloseTo(0.21, 12)
    expect(m.max_drawdown).toBeCloseTo(0.1, 12)
    const r = [0.1, -0.1, 121 / 99 - 1]
    const mean = r.reduce((a, b) => a + b) / 3
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / 2)
    expect(m.volatility).toBeCloseTo(sd * Math.sqrt(252), 12)
    expect(m.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(252), 12)
    expect(m.sortino).toBeCloseTo((mean / Math.sqrt(0.01 / 3)) * Math.sqrt(252), 12)
    expect(m.cagr).toBeCloseTo(1.21 ** (365.25 / 3) - 1, 6)
  })
  it('gives nulls where a figure is undefined', () => {
    expect(computeMetrics([])).toMatchObject({ total_return: null, sharpe: null })
    expect(computeMetrics([{ ts: '2024-01-01T00:00:00Z', value: 1 }])).toMatchObject({
      total_return: 0,
      max_drawdown: 0,
      cagr: null,
      sharpe: null,
    })
  })
})

describe('parseRunCompleteQuery', () => {
  it('applies defaults', () => {
    expect(parseRunCompleteQuery('2b6f388ab7e84859b914a8b425fd636c', {}).options).toEqual({
      include_metrics: true,
      include_equity: true,
      include_orders: true,
      include_fills: false,
      equity_points: 2000,
    })
  })
  it('rejects bad ids and options before any I/O, naming each field', () => {
    const fields = (id: string, q: Record<string, string>) => {
      try {
        parseRunCompleteQuery(id, q)
        return []
      } catch (e) {
        return (e as { issues: { field: string }[] }).issues.map((i) => i.field)
      }
    }
    expect(fields('../etc', { equity_points: '5', include_fills: 'maybe', include_chart: '1M' })).toEqual([
      'run_id',
      'include_fills',
      'equity_points',
      'include_chart',
    ])
    expect(fields('x'.repeat(65), {})).toEqual(['run_id'])
    expect(fields('abc', { equity_points: '0' })).toEqual([])
    expect(fields('abc', { equity_points: '1000001' })).toEqual(['equity_points'])
  })
})
