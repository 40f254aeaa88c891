import { startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { QueryClient } from '@tanstack/query-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHewstonClient, type HewstonClient, hewstonQueries } from '../src/index.js'

describe('hewstonQueries: TanStack Query options without a dependency on it', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let client: HewstonClient
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 14 })
    // Direct mode only: the queries are the same either way.
    client = createHewstonClient({ bffUrl: 'http://127.0.0.1:9', backendUrl: gen.backend.url, flagsPollMs: 0, search: '?bff=off' })
  })
  afterAll(async () => {
    client.dispose()
    await gen?.cleanup()
  })

  it('gives equal requests one key, whatever the order of parameters and the empty ones', () => {
    const q = hewstonQueries(client)
    expect(q.runs({ limit: 5, symbol: 'AAPL', strategy_id: '' }).queryKey).toEqual(q.runs({ symbol: 'AAPL', limit: 5 }).queryKey)
    expect(q.runs({ limit: 5 }).queryKey).not.toEqual(q.runs({ limit: 6 }).queryKey)
    expect(q.chartData({ symbol: 'AAPL', timeframe: '1D', from_date: '2024-01-01', to_date: '2024-12-31' }).queryKey).toEqual([
      'hewston',
      'chart-data',
      { from_date: '2024-01-01', symbol: 'AAPL', timeframe: '1D', to_date: '2024-12-31' },
    ])
    expect(q.hour('AAPL', '2024-12-02', '2024-12-06').queryKey).toEqual(q.hour('AAPL', '2024-12-02', '2024-12-06', true).queryKey)
  })

  it('works with a real QueryClient: fetched once, then served from its cache', async () => {
    const queryClient = new QueryClient({ defaultOptions: { queries: { staleTime: 60_000 } } })
    const q = hewstonQueries(client)
    const first = await queryClient.fetchQuery(q.runs({ limit: 5 }))
    expect(first.items.length).toBe(gen.data.runs.length)
    const again = await queryClient.fetchQuery(q.runs({ limit: 5, symbol: '' }))
    expect(again).toBe(first)
    const runId = first.items[0]?.run_id as string
    const page = await queryClient.fetchQuery(q.runComplete(runId, { equity_points: 100 }))
    expect(page.run.run_id).toBe(runId)
    queryClient.clear()
  })

  it("passes the query's signal on: a cancelled query aborts its call", async () => {
    gen.backend.setFaults({ latencyMs: 400 })
    try {
      const signals: AbortSignal[] = []
      const watched = createHewstonClient({
        bffUrl: 'http://127.0.0.1:9',
        backendUrl: gen.backend.url,
        flagsPollMs: 0,
        search: '?bff=off',
        fetch: ((input: RequestInfo | URL, init?: RequestInit) => {
          const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined)
          if (signal) signals.push(signal)
          return fetch(input, init)
        }) as typeof fetch,
      })
      const queryClient = new QueryClient()
      const pending = queryClient.fetchQuery(hewstonQueries(watched).backtests({ limit: 1 }))
      await new Promise((r) => setTimeout(r, 50))
      expect(signals.some((s) => s.aborted)).toBe(false)
      await queryClient.cancelQueries({ queryKey: ['hewston', 'backtests'] })
      await expect(pending).rejects.toMatchObject({ message: 'CancelledError' })
      // The request itself was aborted, not just forgotten.
      expect(signals.some((s) => s.aborted)).toBe(true)
      queryClient.clear()
      watched.dispose()
    } finally {
      gen.backend.setFaults({})
    }
  })
})
