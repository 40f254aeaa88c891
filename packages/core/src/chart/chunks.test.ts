import { describe, expect, it } from 'vitest'
import { TtlPolicy } from '../cache/ttl-policy.js'
import { planChunks } from './chunks.js'
import { parseChartQuery } from './query.js'

describe('planChunks', () => {
  it('splits minute data into whole calendar months and hour/daily data into years', () => {
    expect(planChunks('minute', 'AAPL', '2024-11-15', '2025-02-03').map((c) => [c.id, c.from, c.to])).toEqual([
      ['2024-11', '2024-11-01', '2024-11-30'],
      ['2024-12', '2024-12-01', '2024-12-31'],
      ['2025-01', '2025-01-01', '2025-01-31'],
      ['2025-02', '2025-02-01', '2025-02-28'],
    ])
    expect(planChunks('hour', 'AAPL', '2023-06-01', '2024-01-01').map((c) => c.id)).toEqual(['2023', '2024'])
    expect(planChunks('minute', 'AAPL', '2024-02-10', '2024-02-11').map((c) => c.to)).toEqual(['2024-02-29'])
  })
})

describe('TtlPolicy', () => {
  const now = Date.UTC(2026, 10, 27, 12)
  const ttl = new TtlPolicy()
  it('gives 5 min to chunks touching today, 1 h within 30 days, 24 h to older ones', () => {
    expect(ttl.ttlFor('2026-11-30', now)).toBe(300_000)
    expect(ttl.ttlFor('2026-11-27', now)).toBe(300_000)
    expect(ttl.ttlFor('2026-11-20', now)).toBe(3_600_000)
    expect(ttl.ttlFor('2026-10-28', now)).toBe(3_600_000)
    expect(ttl.ttlFor('2024-12-31', now)).toBe(86_400_000)
  })
  it('is configurable', () => {
    expect(new TtlPolicy({ todayMs: 1000, recentDays: 1 }).ttlFor('2026-11-25', now)).toBe(86_400_000)
  })
})

describe('parseChartQuery', () => {
  it('upper-cases the symbol and applies defaults', () => {
    expect(parseChartQuery({ symbol: 'aapl', timeframe: '1D', from_date: '2024-01-01', to_date: '2024-12-31' })).toEqual({
      symbol: 'AAPL',
      timeframe: '1D',
      from_date: '2024-01-01',
      to_date: '2024-12-31',
      target_points: 10000,
      rth_only: true,
      format: 'rows',
    })
  })
  it('names every bad field', () => {
    const fields = (q: Record<string, string>) => {
      try {
        parseChartQuery(q)
        return []
      } catch (e) {
        return (e as { issues: { field: string }[] }).issues.map((i) => i.field)
      }
    }
    expect(
      fields({
        symbol: '../x',
        timeframe: '5M',
        from_date: '2024-02-30',
        to_date: 'x',
        target_points: '5',
        rth_only: 'maybe',
        format: 'csv',
      }),
    ).toEqual(['symbol', 'timeframe', 'from_date', 'to_date', 'target_points', 'rth_only', 'format'])
    expect(fields({ timeframe: '1D', from_date: '2024-01-02', to_date: '2024-01-01' })).toEqual(['symbol'])
    expect(fields({ symbol: 'A', timeframe: '1D', from_date: '2024-01-02', to_date: '2024-01-01' })).toEqual(['from_date'])
    expect(fields({ symbol: 'A', timeframe: '1D', from_date: '2010-01-01', to_date: '2024-01-01' })).toEqual(['to_date'])
    expect(fields({ symbol: 'A', timeframe: '1D', from_date: '2024-01-01', to_date: '2024-01-01', target_points: '100001' })).toEqual([
      'target_points',
    ])
  })
})
