import type { ReferenceBackend } from '@hewston-bff/reference-backend'
import { startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { type BffApp, createBffApp, defaultConfig } from '@hewston-bff/server'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as compat from '../src/compat.js'

/**
 * `@hewston-bff/browser/compat`: the frontend's `services/api.ts` and `services/bars.ts`, name for name,
 * with their defaults. (The frontend-compat example drives the same module in Chromium, in both modes.)
 */
describe('@hewston-bff/browser/compat: the frontend services, name for name', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  let bff: BffApp
  const urls: string[] = []
  const recording = ((input: RequestInfo | URL, init?: RequestInit) => {
    urls.push(String(input instanceof Request ? input.url : input))
    return fetch(input, init)
  }) as typeof fetch

  beforeAll(async () => {
    ;({ backend, cleanup } = await startGeneratedBackend({ seed: 9 }))
    bff = createBffApp(defaultConfig({ backend: backend.url, port: 0, logLevel: 'silent' }))
    await bff.listen()
  })
  afterEach(() => {
    urls.length = 0
  })
  afterAll(async () => {
    compat.configureHewston({})
    await bff.close()
    await cleanup()
  })

  it("exports exactly the frontend's functions and schemas (types are checked by the example's tsc)", () => {
    const values = Object.keys(compat).sort()
    expect(values).toEqual(
      [
        // services/api.ts
        'listBacktests',
        'getRunDetail',
        'createBacktest',
        'RunSummarySchema',
        'ListRunsResponseSchema',
        'RunDetailSchema',
        'StreamFrameSchema',
        'CreateRunRequestSchema',
        'CreateRunResponseSchema',
        // services/bars.ts
        'fetchDaily',
        'fetchMinute',
        'fetchMinuteDecimated',
        'fetchHour',
        'DailyBarSchema',
        'DailyResponseSchema',
        'MinuteBarSchema',
        'MinuteResponseSchema',
        'HourBarSchema',
        'HourResponseSchema',
        // the setup the frontend did not need (its URLs were relative)
        'configureHewston',
        'hewstonContext',
      ].sort(),
    )
  })

  it("sends the frontend's defaults (target 10000, rth_only) and drops empty filters, through the BFF", async () => {
    compat.configureHewston({ bffUrl: bff.url, backendUrl: backend.url, fetch: recording, flagsPollMs: 0 })
    const list = await compat.listBacktests({ symbol: 'AAPL', strategy_id: '' })
    expect(list.items.length).toBeGreaterThan(0)
    const run = await compat.getRunDetail(list.items[0]?.run_id as string)
    expect(compat.RunDetailSchema.parse(run)).toEqual(run)
    const daily = await compat.fetchDaily('AAPL', '2024-12-01', '2024-12-31')
    expect(compat.DailyResponseSchema.parse(daily).bars.length).toBeGreaterThan(0)
    const minute = await compat.fetchMinute('AAPL', '2024-12-02', '2024-12-02')
    expect(compat.MinuteResponseSchema.parse(minute).bars.length).toBeGreaterThan(0)
    const hour = await compat.fetchHour('AAPL', '2024-12-02', '2024-12-06', false)
    expect(compat.HourResponseSchema.parse(hour).bars.length).toBeGreaterThan(0)
    const decimated = await compat.fetchMinuteDecimated('AAPL', '2024-01-01', '2024-12-31')
    expect(decimated.meta?.points).toBeGreaterThan(0)

    const q = (p: string) => new URL(urls.find((u) => new URL(u).pathname === p) as string).searchParams
    expect(urls.every((u) => u.startsWith(`${bff.url}/api/v1/`))).toBe(true)
    expect(Object.fromEntries(q('/api/v1/backtests'))).toEqual({ symbol: 'AAPL' })
    expect(q('/api/v1/bars/minute').get('rth_only')).toBe('true')
    expect(q('/api/v1/bars/hour').get('rth_only')).toBe('false')
    expect(Object.fromEntries(q('/api/v1/bars/minute_decimated'))).toMatchObject({ target: '10000', rth_only: 'true' })
  })

  it('creates a run with its idempotency key, and the same answer again for the same key', async () => {
    compat.configureHewston({ bffUrl: bff.url, backendUrl: backend.url, flagsPollMs: 0 })
    const req = { strategy_id: 'sma_cross', symbol: 'AAPL', year: 2024 }
    const first = await compat.createBacktest(req, 'compat-key-1')
    expect(compat.CreateRunResponseSchema.parse(first).run_id).toBeTruthy()
    expect((await compat.createBacktest(req, 'compat-key-1')).run_id).toBe(first.run_id)
  })

  it('goes straight to the backend when the proxy group is off, with the same answers', async () => {
    compat.configureHewston({ bffUrl: bff.url, backendUrl: backend.url, fetch: recording, flagsPollMs: 0 })
    const viaBff = await compat.fetchDaily('AAPL', '2024-12-01', '2024-12-31')
    compat.configureHewston({ bffUrl: bff.url, backendUrl: backend.url, fetch: recording, flagsPollMs: 0, flags: { proxy: false } })
    urls.length = 0
    expect(await compat.fetchDaily('AAPL', '2024-12-01', '2024-12-31')).toEqual(viaBff)
    expect(urls).toEqual([`${backend.url}/bars/daily?symbol=AAPL&from=2024-12-01&to=2024-12-31`])
  })

  it('does nothing at import, and says what to configure where there is no page origin', () => {
    compat.configureHewston({})
    expect(() => compat.hewstonContext()).toThrow(/configureHewston\(\{ backendUrl \}\)/)
  })
})

describe('@hewston-bff/browser/react: the PlayerTransport over the run stream', () => {
  it('starts, delivers frames in order, pauses, and stops delivering once disposed', async () => {
    const { WebSocket } = await import('ws')
    const { createHewstonContext } = await import('../src/index.js')
    const { playerTransport } = await import('../src/react.js')
    const { backend, cleanup } = await startGeneratedBackend({ seed: 9 })
    const bff = createBffApp(defaultConfig({ backend: backend.url, port: 0, logLevel: 'silent' }))
    await bff.listen()
    try {
      const runId = ((await (await fetch(`${backend.url}/backtests?limit=1`)).json()) as { items: { run_id: string }[] }).items[0]?.run_id
      const context = createHewstonContext({ bffUrl: bff.url, backendUrl: backend.url, WebSocket, flagsPollMs: 0 })
      const transport = playerTransport(runId as string, { context, fps: 30, speed: 5 })
      const ts: string[] = []
      const errors: unknown[] = []
      transport.onFrame((f) => ts.push(f.ts))
      transport.onError((e) => errors.push(e))
      transport.start()
      await expect.poll(() => ts.length, { timeout: 10_000 }).toBeGreaterThan(20)
      expect([...ts].sort()).toEqual(ts)
      transport.pause()
      await new Promise((r) => setTimeout(r, 300))
      const paused = ts.length
      await new Promise((r) => setTimeout(r, 300))
      expect(ts.length).toBe(paused)
      transport.start()
      await expect.poll(() => ts.length, { timeout: 10_000 }).toBeGreaterThan(paused)
      transport.dispose()
      await new Promise((r) => setTimeout(r, 200))
      const disposed = ts.length
      await new Promise((r) => setTimeout(r, 300))
      expect(ts.length).toBe(disposed)
      expect(errors).toEqual([])
    } finally {
      await bff.close()
      await cleanup()
    }
  })
})
