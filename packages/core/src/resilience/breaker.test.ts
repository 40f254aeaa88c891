import { describe, expect, it } from 'vitest'
import { isBffError } from '../errors/bff-error.js'
import { UpstreamBreaker } from './breaker.js'

describe('UpstreamBreaker', () => {
  it('opens after N consecutive failures, fails fast with retry-after, and recovers after a good probe', async () => {
    const breaker = new UpstreamBreaker({ consecutiveFailures: 3, halfOpenAfterMs: 200 })
    const states: string[] = []
    breaker.onStateChange((s) => states.push(s))
    let calls = 0
    const failing = () => {
      calls++
      return Promise.reject(new Error('ECONNREFUSED'))
    }
    for (let i = 0; i < 3; i++) await expect(breaker.execute(failing)).rejects.toThrow('ECONNREFUSED')
    expect(breaker.state).toBe('open')
    const fast = await breaker.execute(failing).catch((e) => e)
    expect(isBffError(fast) && fast.code).toBe('UPSTREAM_UNAVAILABLE')
    expect((fast as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0)
    expect(calls).toBe(3)
    await new Promise((r) => setTimeout(r, 250))
    expect(await breaker.execute(async () => 'ok')).toBe('ok')
    expect(breaker.state).toBe('closed')
    expect(states).toEqual(['open', 'half-open', 'closed'])
  })
  it('does not count errors the predicate excludes', async () => {
    const breaker = new UpstreamBreaker({ consecutiveFailures: 1, isFailure: (e) => (e as Error).message !== '404' })
    await expect(breaker.execute(() => Promise.reject(new Error('404')))).rejects.toThrow('404')
    expect(breaker.state).toBe('closed')
  })
})
