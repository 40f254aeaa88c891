import type { ReferenceBackend } from '@hewston-bff/reference-backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBff, startGeneratedBackend } from './support/harness.js'

describe('probes: /livez and /readyz', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    ;({ backend, cleanup } = await startGeneratedBackend())
  })
  afterAll(async () => cleanup())

  it('/livez answers 200 without consulting the backend, even while the backend is down', async () => {
    const { bff, url } = await startBff(backend.url)
    try {
      await backend.stop()
      const live = await fetch(`${url}/livez`)
      expect(live.status).toBe(200)
      expect(await live.json()).toEqual({ status: 'live' })
      expect(live.headers.get('cache-control')).toBe('no-store')
      // /health stays the detailed report: 503 with the backend down.
      expect((await fetch(`${url}/health`)).status).toBe(503)
    } finally {
      await backend.restart()
      await bff.close()
    }
  })

  it('/readyz is 200 while the backend answers and 503 once it has been unreachable past the grace', async () => {
    const { bff, url } = await startBff(backend.url)
    try {
      const ready = await fetch(`${url}/readyz`)
      expect(ready.status).toBe(200)
      expect(await ready.json()).toEqual({ status: 'ready' })
      await backend.stop()
      // Within the 5 s grace it keeps answering 200 (a backend that stalls for a moment takes no instance out).
      expect((await fetch(`${url}/readyz`)).status).toBe(200)
      const deadline = Date.now() + 10_000
      let last: Response | undefined
      while (Date.now() < deadline) {
        last = await fetch(`${url}/readyz`)
        if (last.status === 503) break
        await new Promise((r) => setTimeout(r, 200))
      }
      expect(last?.status).toBe(503)
      expect(await last?.json()).toMatchObject({ status: 'backend unreachable', grace_ms: 5000 })
      // ?only=drain keeps the instance in rotation while the backend is out (served from caches).
      expect((await fetch(`${url}/readyz?only=drain`)).status).toBe(200)
      await backend.restart()
      const back = Date.now() + 5000
      while (Date.now() < back && (await fetch(`${url}/readyz`)).status !== 200) await new Promise((r) => setTimeout(r, 100))
      expect((await fetch(`${url}/readyz`)).status).toBe(200)
    } finally {
      await backend.restart().catch(() => {})
      await bff.close()
    }
  }, 30_000)

  it('/readyz stays 200 while the backend misses its health probes but answers real traffic (busy, not gone)', async () => {
    const { bff, url } = await startBff(backend.url)
    try {
      expect((await fetch(`${url}/readyz`)).status).toBe(200)
      backend.setFaults({ routes: [{ path: '/healthz', status: 'hang' }] })
      const until = Date.now() + 6500
      const statuses = new Set<number>()
      while (Date.now() < until) {
        expect((await fetch(`${url}/api/v1/backtests?limit=1`)).status).toBe(200)
        statuses.add((await fetch(`${url}/readyz`)).status)
        await new Promise((r) => setTimeout(r, 250))
      }
      expect([...statuses]).toEqual([200])
      // No traffic and no probe answer past the grace: unreachable after all.
      const quietUntil = Date.now() + 10_000
      let last = 200
      while (Date.now() < quietUntil && last === 200) {
        await new Promise((r) => setTimeout(r, 250))
        last = (await fetch(`${url}/readyz`)).status
      }
      expect(last).toBe(503)
    } finally {
      backend.setFaults({})
      await bff.close()
    }
  }, 30_000)

  it('answers 503 draining from the first moment of a graceful shutdown, while requests are still served', async () => {
    const { bff, url } = await startBff(backend.url, { drainDelayMs: 800 })
    expect((await fetch(`${url}/readyz`)).status).toBe(200)
    const closing = bff.close()
    await new Promise((r) => setTimeout(r, 100))
    const draining = await fetch(`${url}/readyz`)
    expect(draining.status).toBe(503)
    expect(await draining.json()).toEqual({ status: 'draining' })
    expect((await fetch(`${url}/readyz?only=drain`)).status).toBe(503)
    // Still serving everything during the drain delay: the balancer, not the instance, moves the traffic.
    expect((await fetch(`${url}/api/v1/backtests?limit=1`)).status).toBe(200)
    expect((await fetch(`${url}/livez`)).status).toBe(200)
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/hewston_bff_ready 0/)
    await closing
    await expect(fetch(`${url}/livez`)).rejects.toThrow()
  })

  it("are never rate-limited, and are the BFF's own paths (not proxied)", async () => {
    const { bff, url } = await startBff(backend.url, { rateLimitRps: 1, rateLimitBurst: 0 })
    try {
      // The upstream's own 404: only the root paths are the BFF's.
      expect(await (await fetch(`${url}/api/v1/livez`, { headers: { authorization: 'Bearer other-user' } })).json()).toEqual({
        detail: 'Not Found',
      })
      const statuses = await Promise.all(Array.from({ length: 10 }, () => fetch(`${url}/livez`).then((r) => r.status)))
      expect(statuses).toEqual(Array(10).fill(200))
      const readys = await Promise.all(Array.from({ length: 10 }, () => fetch(`${url}/readyz`).then((r) => r.status)))
      expect(readys).toEqual(Array(10).fill(200))
      const api = await Promise.all(Array.from({ length: 5 }, () => fetch(`${url}/api/v1/backtests?limit=1`).then((r) => r.status)))
      expect(api.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3)
    } finally {
      await bff.close()
    }
  })
})
