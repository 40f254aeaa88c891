import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BffApp } from '../src/index.js'
import { startBff, startGeneratedBackend } from './support/harness.js'

/** Short freshness everywhere, so cached data expires within the test; a day of stale-if-error allowance. */
const SHORT = { ttlOlderS: 1, ttlRecentS: 1, ttlTodayS: 1, runDoneTtlS: 1, runActiveTtlS: 1, runAuthTtlS: 1, breakerResetMs: 300 }

describe('stale beats broken: the upstream stops, cached answers go on (marked stale)', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let bff: BffApp
  let runId: string
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 43 })
    runId = gen.data.runs[1]?.runId as string
    bff = (await startBff(gen.backend.url, SHORT)).bff
  })
  afterAll(async () => {
    await bff?.close()
    await gen?.cleanup()
  })

  const chart = (range: string, auth = 'Bearer alice') =>
    fetch(`${bff.url}/api/v1/chart-data?symbol=AAPL&timeframe=1H&${range}`, { headers: { authorization: auth } })
  const complete = (auth = 'Bearer alice') =>
    fetch(`${bff.url}/api/v1/runs/${runId}/complete?equity_points=100`, { headers: { authorization: auth } })
  const cachedRange = 'from_date=2024-10-01&to_date=2024-10-31'

  it('serves expired charts and runs while the upstream is down, never across credentials, and fresh again after', async () => {
    expect((await chart(cachedRange)).status).toBe(200)
    expect((await complete()).status).toBe(200)
    await bff.charts.chunks.whenIdle()
    await new Promise((r) => setTimeout(r, 1200)) // everything cached is now past its freshness
    await gen.backend.stop()

    const staleChart = await chart(cachedRange)
    expect(staleChart.status).toBe(200)
    const chartBody = (await staleChart.json()) as { metadata: { stale?: boolean; age_s?: number } }
    expect(chartBody.metadata).toMatchObject({ stale: true })
    expect(Number(staleChart.headers.get('age'))).toBeGreaterThanOrEqual(1)
    expect(staleChart.headers.get('warning')).toMatch(/^110 /)

    const staleRun = await complete()
    expect(staleRun.status).toBe(200)
    expect(((await staleRun.json()) as { metadata: { stale?: boolean } }).metadata.stale).toBe(true)
    expect(staleRun.headers.get('warning')).toMatch(/^110 /)

    // Another caller's credentials never see alice's cached data; nothing cached → the usual envelope.
    for (const res of [
      await complete('Bearer mallory'),
      await chart(cachedRange, 'Bearer mallory'),
      await chart('from_date=2023-03-01&to_date=2023-03-31'),
    ]) {
      expect([502, 503, 504]).toContain(res.status)
      const body = (await res.json()) as { error: { code: string } }
      expect(body.error.code).toMatch(/^UPSTREAM_/)
    }

    await gen.backend.start()
    await new Promise((r) => setTimeout(r, 400)) // the breaker lets a probe through again
    const fresh = await chart(cachedRange)
    expect(fresh.status).toBe(200)
    expect(((await fresh.json()) as { metadata: { stale?: boolean } }).metadata.stale).toBeUndefined()
    expect(fresh.headers.get('warning')).toBeNull()
    const freshRun = (await (await complete()).json()) as { metadata: { stale?: boolean } }
    expect(freshRun.metadata.stale).toBeUndefined()
  })

  it('does not serve stale data with --stale-if-error-s 0', async () => {
    const strict = (await startBff(gen.backend.url, { ...SHORT, staleIfErrorS: 0 })).bff
    try {
      const url = `${strict.url}/api/v1/chart-data?symbol=AAPL&timeframe=1H&from_date=2024-11-01&to_date=2024-11-30`
      expect((await fetch(url)).status).toBe(200)
      await strict.charts.chunks.whenIdle()
      await new Promise((r) => setTimeout(r, 1200))
      await gen.backend.stop()
      expect([502, 503, 504]).toContain((await fetch(url)).status)
    } finally {
      await gen.backend.start()
      await strict.close()
    }
  })
})
