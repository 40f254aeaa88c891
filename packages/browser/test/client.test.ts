import type { ReferenceBackend } from '@hewston-bff/reference-backend'
import { startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { type BffApp, createBffApp, defaultConfig } from '@hewston-bff/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHewstonClient } from '../src/index.js'

describe('createHewstonClient: the same answers through the BFF and straight to the backend', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  let bff: BffApp
  beforeAll(async () => {
    ;({ backend, cleanup } = await startGeneratedBackend({ seed: 9 }))
    bff = createBffApp(defaultConfig({ backend: backend.url, port: 0, logLevel: 'silent' }))
    await bff.listen()
  })
  afterAll(async () => {
    await bff.close()
    await cleanup()
  })

  it('returns equal data in both modes, switching at runtime on the next call', async () => {
    const client = createHewstonClient({ bffUrl: bff.url, backendUrl: backend.url, flagsPollMs: 0 })
    const calls = async () => {
      const list = await client.listBacktests({ limit: 5 })
      const detail = await client.getRunDetail(list.items[0]?.run_id as string)
      return [
        list,
        detail,
        await client.fetchDaily('AAPL', '2024-12-01', '2024-12-31'),
        await client.fetchMinute('AAPL', '2024-12-02', '2024-12-02'),
        await client.fetchHour('AAPL', '2024-12-02', '2024-12-06'),
        await client.fetchMinuteDecimated('AAPL', '2024-01-01', '2024-12-31', 2000),
      ]
    }
    const bffCalls = async () => {
      const text = await bff.metrics.registry.getSingleMetricAsString('hewston_bff_http_request_duration_seconds')
      return [...text.matchAll(/_count\{[^}]*route="\/api\/v1[^"]*"[^}]*\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0)
    }
    expect(client.modes().proxy).toBe('bff')
    const viaBff = await calls()
    expect(await bffCalls()).toBe(6)
    client.flags.set({ proxy: false })
    expect(client.modes().proxy).toBe('direct')
    const direct = await calls()
    expect(direct).toEqual(viaBff)
    expect(await bffCalls()).toBe(6)
  })

  /** A fetch that records every URL it is asked for, then really fetches. */
  const recording = () => {
    const urls: string[] = []
    const fetchImpl = ((input: RequestInfo | URL, init?: RequestInit) => {
      urls.push(String(input instanceof Request ? input.url : input))
      return fetch(input, init)
    }) as typeof fetch
    return { urls, fetchImpl }
  }

  it('does nothing when created: no request, no timer, until the first call; never fetches flags with ?bff=off', async () => {
    const { urls, fetchImpl } = recording()
    const client = createHewstonClient({ bffUrl: bff.url, backendUrl: backend.url, fetch: fetchImpl, flagsPollMs: 50 })
    await new Promise((r) => setTimeout(r, 150))
    expect(urls).toEqual([])
    await client.listBacktests({ limit: 1 })
    await new Promise((r) => setTimeout(r, 150))
    expect(urls.filter((u) => u.endsWith('/api/v1/flags')).length).toBeGreaterThanOrEqual(2)
    client.dispose()

    const off = recording()
    const direct = createHewstonClient({
      bffUrl: bff.url,
      backendUrl: backend.url,
      fetch: off.fetchImpl,
      flagsPollMs: 50,
      search: '?bff=off',
    })
    await direct.listBacktests({ limit: 1 })
    await new Promise((r) => setTimeout(r, 150))
    expect(off.urls.every((u) => u.startsWith(backend.url))).toBe(true)
    direct.dispose()
  })

  it('checks its options when created, naming the option', () => {
    expect(() => createHewstonClient({ backendUrl: backend.url })).toThrow(/option "bffUrl" is required/)
    expect(() => createHewstonClient({ bffUrl: bff.url, backendUrl: undefined as unknown as string })).toThrow(
      /option "backendUrl" is required/,
    )
    expect(() => createHewstonClient({ bffUrl: 'not a url', backendUrl: backend.url })).toThrow(
      /option "bffUrl" must be an absolute http\(s\) URL/,
    )
  })

  it("drops undefined, null and '' from query strings and sends rth_only, like the frontend's own services", async () => {
    const { urls, fetchImpl } = recording()
    const client = createHewstonClient({ bffUrl: bff.url, backendUrl: backend.url, fetch: fetchImpl, flagsPollMs: 0 })
    const list = await client.listBacktests({ symbol: 'AAPL', strategy_id: '', order: undefined, from: null as unknown as string })
    expect(list.items.length).toBeGreaterThan(0)
    await client.fetchHour('AAPL', '2024-12-02', '2024-12-06', true)
    await client.fetchMinute('AAPL', '2024-12-02', '2024-12-02', false)
    await client.listRuns({ symbol: 'AAPL', strategy_id: '' })
    const q = (path: string) => new URL(urls.find((u) => new URL(u).pathname === path) as string).searchParams
    expect([...q('/api/v1/backtests').keys()]).toEqual(['symbol'])
    expect(q('/api/v1/bars/hour').get('rth_only')).toBe('true')
    expect(q('/api/v1/bars/minute').get('rth_only')).toBe('false')
    expect([...q('/api/v1/runs').keys()]).toEqual(['symbol'])
  })

  it('aborts a call with its signal, in either mode, without counting it as a BFF outage', async () => {
    const client = createHewstonClient({ bffUrl: bff.url, backendUrl: backend.url, flagsPollMs: 0 })
    const fallbacks: unknown[] = []
    client.on('fallback', (e) => fallbacks.push(e))
    backend.setFaults({ latencyMs: 500 })
    try {
      for (const proxy of [true, false]) {
        client.flags.set({ proxy, chartData: proxy })
        const ac = new AbortController()
        const pending = [
          client.listBacktests({ limit: 1 }, { signal: ac.signal }),
          client.getChartData({ symbol: 'AAPL', timeframe: '1D', from_date: '2023-01-01', to_date: '2023-03-31' }, { signal: ac.signal }),
        ]
        setTimeout(() => ac.abort(), 50)
        for (const p of pending) await expect(p).rejects.toMatchObject({ name: 'AbortError' })
      }
      const stream = client.openRunStream('whatever', { signal: AbortSignal.abort() })
      expect(stream.isClosed).toBe(true)
    } finally {
      backend.setFaults({})
    }
    expect(fallbacks).toEqual([])
  })
})
