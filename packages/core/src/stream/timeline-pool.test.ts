import { describe, expect, it } from 'vitest'
import { TimelineLoader } from './timeline-loader.js'
import { TimelinePool } from './timeline-pool.js'

const idleLoader = (frames: number) => {
  const l = new TimelineLoader({ backendUrl: 'http://127.0.0.1:9', runId: 'x', maxAttempts: 0 })
  for (let i = 0; i < frames; i++) l.timeline.push({ ts: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(), ohlc: null, orders: [], equity: { value: i } })
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

  it('evicts the least recently used timelines without clients when over its byte bound', () => {
    const pool = new TimelinePool(1)
    pool.acquire('old', () => idleLoader(2000))
    pool.acquire('busy', () => idleLoader(2000))
    pool.release('old')
    pool.acquire('new', () => idleLoader(2000))
    expect(pool.size).toBe(2) // "old" had no clients and went; "busy" and "new" are in use
    pool.close()
  })
})
