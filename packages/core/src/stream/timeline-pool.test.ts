import { describe, expect, it } from 'vitest'
import type { Upstream } from '../upstream/upstream.js'
import { ManualClock } from '../util/clock.js'
import { TimelineLoader } from './timeline-loader.js'
import { TimelinePool } from './timeline-pool.js'

/** A loader that never fetches, holding `frames` frames (about 56 bytes each, at typed-array capacity). */
const idleLoader = (frames: number) => {
  const l = new TimelineLoader({ upstream: {} as Upstream, runId: 'x', maxAttempts: 0 })
  for (let i = 0; i < frames; i++)
    l.timeline.push({ ts: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(), ohlc: null, orders: [], equity: { value: i } })
  l.start = () => {}
  return l
}

describe('TimelinePool', () => {
  it('shares one loader per key and counts its clients', () => {
    const pool = new TimelinePool()
    let created = 0
    const make = () => {
      created++
      return idleLoader(10)
    }
    const a = pool.acquire('run-1', make)
    const b = pool.acquire('run-1', make)
    expect(a).toBe(b)
    expect(created).toBe(1)
    pool.close()
  })

  it('evicts the least recently used timelines without clients, oldest first, only as far as needed', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const one = idleLoader(2000).timeline.bytes
    // Room for four timelines: the fifth forces out exactly one.
    const pool = new TimelinePool(4 * one, clock)
    for (const key of ['a', 'b', 'c']) {
      pool.acquire(key, () => idleLoader(2000))
      clock.tick(1000)
    }
    // Release in a different order than acquired: c, then a, then b — "c" is now the least recently used.
    for (const key of ['c', 'a', 'b']) {
      pool.release(key)
      clock.tick(1000)
    }
    pool.acquire('busy', () => idleLoader(2000))
    expect(pool.keys()).toEqual(['a', 'b', 'c', 'busy'])
    pool.acquire('new', () => idleLoader(2000))
    expect(pool.keys()).toEqual(['a', 'b', 'busy', 'new'])
    clock.tick(1000)
    pool.acquire('newer', () => idleLoader(2000))
    expect(pool.keys()).toEqual(['b', 'busy', 'new', 'newer'])
    pool.close()
  })

  it('is full only when the timelines in use fill the bound, after dropping every idle one', () => {
    const one = idleLoader(2000).timeline.bytes
    const pool = new TimelinePool(2.5 * one)
    pool.acquire('a', () => idleLoader(2000))
    pool.acquire('b', () => idleLoader(2000))
    expect(pool.full()).toBe(false)
    expect(pool.full(one)).toBe(true)
    pool.acquire('c', () => idleLoader(2000))
    // All three in use: no room for another run; joining a pooled one costs nothing.
    expect(pool.full()).toBe(true)
    expect(pool.has('a')).toBe(true)
    expect(pool.has('d')).toBe(false)
    pool.release('b')
    // The idle one goes, and there is room again.
    expect(pool.full()).toBe(false)
    expect(pool.keys()).toEqual(['a', 'c'])
    pool.close()
  })
})
