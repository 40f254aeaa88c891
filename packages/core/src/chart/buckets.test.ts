import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BUCKETS, bucketOhlc, chooseBucket, countBuckets } from './buckets.js'
import type { ColumnarBars } from './columnar.js'

const MIN = 60_000
/** Ascending minute bars with sane OHLC (l ≤ o,c ≤ h) and integer volumes. */
const barsArb = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 1, max: 600 }),
      o: fc.double({ min: 1, max: 1000, noNaN: true }),
      c: fc.double({ min: 1, max: 1000, noNaN: true }),
      up: fc.double({ min: 0, max: 5, noNaN: true }),
      down: fc.double({ min: 0, max: 0.9, noNaN: true }),
      v: fc.integer({ min: 0, max: 10_000_000 }),
    }),
    { minLength: 1, maxLength: 400 },
  )
  .map((rows) => {
    const b: ColumnarBars = { t: [], o: [], h: [], l: [], c: [], v: [] }
    let t = Date.UTC(2024, 0, 2, 14, 30)
    for (const r of rows) {
      t += r.gap * MIN
      b.t.push(t)
      b.o.push(r.o)
      b.c.push(r.c)
      b.h.push(Math.max(r.o, r.c) + r.up)
      b.l.push(Math.min(r.o, r.c) * (1 - r.down))
      b.v.push(r.v)
    }
    return b
  })

describe('OHLC bucketing', () => {
  it('keeps the invariants of every bucket: open first, close last, high max, low min, volume summed', () => {
    fc.assert(
      fc.property(barsArb, fc.constantFrom(...BUCKETS), (bars, bucket) => {
        const out = bucketOhlc(bars, bucket)
        let i = 0
        for (let k = 0; k < out.t.length; k++) {
          const members: number[] = []
          while (i < bars.t.length && bucket.start(bars.t[i] as number) === out.t[k]) members.push(i++)
          expect(members.length).toBeGreaterThan(0)
          expect(out.o[k]).toBe(bars.o[members[0] as number])
          expect(out.c[k]).toBe(bars.c[members.at(-1) as number])
          expect(out.h[k]).toBe(Math.max(...members.map((j) => bars.h[j] as number)))
          expect(out.l[k]).toBe(Math.min(...members.map((j) => bars.l[j] as number)))
          expect(out.v[k]).toBe(members.reduce((s, j) => s + (bars.v[j] as number), 0))
          expect(out.t[k]).toBeLessThanOrEqual(bars.t[members[0] as number] as number)
        }
        // No bar lost, none invented; volume preserved; buckets strictly ascending.
        expect(i).toBe(bars.t.length)
        expect(out.v.reduce((a, b) => a + b, 0)).toBe(bars.v.reduce((a, b) => a + b, 0))
        for (let k = 1; k < out.t.length; k++) expect(out.t[k]).toBeGreaterThan(out.t[k - 1] as number)
        expect(out.t.length).toBe(countBuckets(bars, bucket))
      }),
      { numRuns: 300 },
    )
  })

  it('chooses the smallest bucket that fits the point budget', () => {
    fc.assert(
      fc.property(barsArb, fc.integer({ min: 10, max: 500 }), (bars, target) => {
        const { bucket, points } = chooseBucket(bars, target, 1)
        expect(points).toBe(countBuckets(bars, bucket))
        const smaller = BUCKETS.filter((b) => b.minutes < bucket.minutes)
        if (points <= target) for (const b of smaller) expect(countBuckets(bars, b)).toBeGreaterThan(target)
      }),
    )
  })

  it('aligns buckets to the Unix epoch in UTC (240 minutes → 12:00/16:00/20:00)', () => {
    const four = BUCKETS.find((b) => b.minutes === 240)
    expect(four?.start(Date.UTC(2024, 11, 2, 14, 30))).toBe(Date.UTC(2024, 11, 2, 12, 0))
    const week = BUCKETS.find((b) => b.label === '1w')
    expect(new Date(week?.start(Date.UTC(2024, 11, 5)) as number).getUTCDay()).toBe(1)
  })
})
