/// <reference lib="dom" />
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type GenerateResult, generateWorkdir, ReferenceBackend } from '@hewston-bff/reference-backend'
import { freePort } from '@hewston-bff/reference-backend/testing'
import { type BffApp, createBffApp, defaultConfig } from '@hewston-bff/server'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { haveChromium, launchChromium } from './support/chromium.js'

/** Screenshots of the demo, kept after the run (gitignored). */
const SCREENSHOTS = path.resolve(import.meta.dirname, '../../../test-output')
const chromiumHere = haveChromium()

describe.skipIf(!chromiumHere)('the demo page in headless Chromium against real BFF and backend processes', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'hewston-browser-'))
  const flagsFile = path.join(tmp, 'flags.json')
  let data: GenerateResult
  let backend: ReferenceBackend
  let bff: BffApp
  let bffPort: number
  let context: BrowserContext
  let runId: string
  let expectedOrders: string[]
  let expectedFrames: number

  const startBff = async () => {
    bff = createBffApp(
      defaultConfig({ backend: backend.url, port: bffPort, root: data.root, flagsFile, flagsPollMs: 300, logLevel: 'silent' }),
    )
    await bff.listen()
  }

  beforeAll(async () => {
    data = generateWorkdir({ out: path.join(tmp, 'work'), symbols: ['AAPL'], years: [2024], seed: 61 })
    runId = data.runs.find((r) => r.from === '2024-12-01')?.runId as string
    bffPort = await freePort()
    backend = await new ReferenceBackend({ root: data.root, corsOrigins: [`http://127.0.0.1:${bffPort}`] }).start()
    writeFileSync(flagsFile, '{}')
    await startBff()
    const sse = await (await fetch(`${backend.url}/backtests/${runId}/stream`)).text()
    expectedFrames = sse.split('event: frame\n').length - 1
    expectedOrders = [...sse.matchAll(/"order_id": "(o\d+)"/g)].map((m) => m[1] as string)
    context = await launchChromium(path.join(tmp, 'profile'))
  })
  afterAll(async () => {
    await context?.close()
    await bff?.close()
    await backend?.close()
    rmSync(tmp, { recursive: true, force: true })
  })

  /** Opens the demo, recording every request that leaves the page except the page's own files. */
  async function open(query: string): Promise<{ page: Page; requests: string[] }> {
    const page = await context.newPage()
    const requests: string[] = []
    page.on('request', (r) => {
      const u = new URL(r.url())
      if (u.pathname.startsWith('/demo/') || u.pathname === '/api/v1/flags' || u.pathname === '/health') return
      requests.push(`${u.port === String(bffPort) ? 'bff' : 'backend'} ${r.method()} ${u.pathname}`)
    })
    page.on('websocket', (ws) => {
      const u = new URL(ws.url())
      requests.push(`${u.port === String(bffPort) ? 'bff' : 'backend'} WS ${u.pathname}`)
    })
    await page.goto(`http://127.0.0.1:${bffPort}/demo/${query}`)
    await page.waitForFunction(() => document.body.dataset.ready === 'runs')
    return { page, requests }
  }

  async function openRun(page: Page): Promise<void> {
    await page.click(`li[data-run-id="${runId}"]`)
    await page.waitForFunction(() => document.body.dataset.ready === 'run')
  }

  async function streamResult(page: Page, timeoutMs = 60_000) {
    await page.waitForFunction(() => document.body.dataset.ended !== undefined, undefined, { timeout: timeoutMs })
    return page.evaluate(() => {
      const w = window as unknown as { demoFrames: { ts: string; orders: string[]; dropped: number }[] }
      return { total: Number(document.body.dataset.ended), frames: w.demoFrames }
    })
  }

  it('shows a run as a trader reads it, and during playback moves the playhead, draws equity and marks orders as they happen', async () => {
    const { page } = await open('?speed=20')
    expect(await page.locator('#speed').inputValue()).toBe('20')
    await openRun(page)
    const run = data.runs.find((r) => r.runId === runId)
    const detail = (await (await fetch(`${backend.url}/backtests/${runId}`)).json()) as { strategy_id: string }
    expect(await page.locator('#title').textContent()).toBe(`AAPL · ${detail.strategy_id} · ${run?.from} → ${run?.to}`)
    // Metrics formatted for people: percentages and ratios, not raw floats.
    const metrics = await page.locator('#metrics tr').allTextContents()
    expect(metrics.length).toBeGreaterThanOrEqual(2)
    expect(metrics.find((m) => m.startsWith('Total return'))).toMatch(/^Total return-?\d+\.\d+ %$/)
    for (const m of metrics) expect(m).not.toMatch(/\d{6,}/)
    type DemoState = { playheadTime: number | null; candleX: number | null; equityX: number | null; markers: number; equityPoints: number }
    const state = () => page.evaluate(() => (window as unknown as { demo: { state(): DemoState } }).demo.state())
    // Before playback: every order is marked on the candles.
    expect((await state()).markers).toBe(expectedOrders.length)
    await page.click('#play')
    await page.waitForFunction(() => ((window as unknown as { demoFrames: unknown[] }).demoFrames?.length ?? 0) > 20)
    const early = await state()
    await page.waitForFunction(
      (t) => {
        const s = (window as unknown as { demo: { state(): DemoState } }).demo.state()
        return (s.playheadTime ?? 0) > t + 86_400 && s.markers > 0
      },
      early.playheadTime ?? 0,
      { timeout: 30_000 },
    )
    const later = await state()
    expect(later.playheadTime as number).toBeGreaterThan(early.playheadTime as number)
    expect(later.candleX as number).toBeGreaterThan(early.candleX as number)
    expect(later.equityX as number).toBeGreaterThan(early.equityX as number)
    expect(later.equityPoints).toBeGreaterThan(early.equityPoints)
    expect(later.markers).toBeGreaterThanOrEqual(early.markers)
    expect(later.markers).toBeLessThan(expectedOrders.length)
    // Speed changes live from the input.
    await page.fill('#speed', '5000')
    await page.locator('#speed').dispatchEvent('input')
    await streamResult(page)
    expect((await state()).markers).toBe(expectedOrders.length)
    // The status line is never cut off.
    const clipped = await page.evaluate(() => {
      const el = document.getElementById('status-line') as HTMLElement
      return el.scrollWidth > el.clientWidth
    })
    expect(clipped).toBe(false)
    mkdirSync(SCREENSHOTS, { recursive: true })
    await page.screenshot({ path: path.join(SCREENSHOTS, 'demo-after-playback.png'), fullPage: true })
    console.log(`demo screenshot: ${path.join(SCREENSHOTS, 'demo-after-playback.png')}`)
    await page.close()
  })

  it('loads a run with far fewer requests through the BFF than in legacy mode', async () => {
    const legacy = await open('?bff=off&speed=5000')
    await openRun(legacy.page)
    await legacy.page.click('#play')
    await streamResult(legacy.page)
    const viaBff = await open('?speed=5000')
    await openRun(viaBff.page)
    await viaBff.page.click('#play')
    await streamResult(viaBff.page)
    const ratio = 1 - viaBff.requests.length / legacy.requests.length
    console.log(
      `run view requests: legacy ${legacy.requests.length} (${legacy.requests.join(', ')}) vs BFF ${viaBff.requests.length} (${viaBff.requests.join(', ')}): ${Math.round(ratio * 100)}% fewer`,
    )
    expect(legacy.requests.every((r) => r.startsWith('backend'))).toBe(true)
    expect(viaBff.requests.every((r) => r.startsWith('bff'))).toBe(true)
    expect(viaBff.requests.length).toBeLessThan(legacy.requests.length)
    await legacy.page.close()
    await viaBff.page.close()
  })

  it('returns the same data from every method in both modes, through a BFF with --root and one without (strict)', async () => {
    // A second BFF without --root, allowing the demo page's origin (CORS).
    const bare = createBffApp(
      defaultConfig({ backend: backend.url, port: 0, logLevel: 'silent', corsOrigins: `http://127.0.0.1:${bffPort}` }),
    )
    const bareUrl = await bare.listen()
    const { page } = await open('')
    try {
      // A string, not a function: the test runner would rewrite a dynamic import() inside a function.
      const result = (await page.evaluate(`(async () => {
        const { createHewstonClient } = await import('/demo/sdk.js')
        const id = ${JSON.stringify(runId)}
        const all = async (c) => ({
          list: await c.listBacktests({ limit: 5 }),
          detail: await c.getRunDetail(id),
          daily: await c.fetchDaily('AAPL', '2024-12-01', '2024-12-31'),
          minute: await c.fetchMinute('AAPL', '2024-12-02', '2024-12-02'),
          hour: await c.fetchHour('AAPL', '2024-12-02', '2024-12-06'),
          decimated: await c.fetchMinuteDecimated('AAPL', '2024-01-01', '2024-12-31', 2000),
          chart: await c.getChartData({ symbol: 'AAPL', timeframe: '1M_DECIMATED', from_date: '2024-10-01', to_date: '2024-12-31', target_points: 3000 }),
          chartDaily: await c.getChartData({ symbol: 'AAPL', timeframe: '1D', from_date: '2024-01-01', to_date: '2024-12-31' }),
          runs: await c.listRuns({ limit: 5 }),
          complete: await c.getRunComplete(id, { equity_points: 500, include_chart: '1H' }),
          completeAll: await c.getRunComplete(id, { equity_points: 0 }),
        })
        const withRoot = window.hewston
        const withoutRoot = createHewstonClient({ bffUrl: ${JSON.stringify(bareUrl)}, backendUrl: ${JSON.stringify(backend.url)}, flagsPollMs: 0 })
        const bffRoot = await all(withRoot)
        const bffBare = await all(withoutRoot)
        withRoot.flags.set({ proxy: false, chartData: false, runData: false })
        const direct = await all(withRoot)
        withRoot.flags.set({ proxy: true, chartData: true, runData: true })
        withoutRoot.dispose()
        return { bffRoot, bffBare, direct }
      })()`)) as Record<'bffRoot' | 'bffBare' | 'direct', Record<string, any>>
      const { bffRoot, bffBare, direct } = result
      for (const [name, bff] of [
        ['with --root', bffRoot],
        ['without --root', bffBare],
      ] as const) {
        expect(bff.complete.metadata.mode, name).toBe('bff')
        expect(direct.complete.metadata.mode).toBe('direct')
        for (const k of Object.keys(direct)) {
          // Metadata says how an answer was made (mode, sources, timings, cache): everything else must be equal.
          // The run list's catalog metrics exist only where a catalog does (the BFF with --root): compared apart.
          const strip = (v: any) => (k === 'runs' ? { ...v, items: v.items.map(({ metrics: _m, ...i }: any) => i) } : v)
          expectSameData(strip(bff[k]), strip(direct[k]), `${name}: ${k}`)
        }
        expect(Object.keys(bff.complete.metrics).sort(), name).toEqual(
          ['cagr', 'max_drawdown', 'sharpe', 'sortino', 'total_return', 'volatility'].sort(),
        )
      }
      expect(bffRoot.runs.metadata).toMatchObject({ enriched: true, metrics_source: 'catalog' })
      expect(direct.runs.items.every((i: any) => i.metrics === null)).toBe(true)
    } finally {
      await page.close()
      await bare.close()
    }
  })

  it('moves a group at runtime without a reload, while the stream keeps playing and loses no frame', async () => {
    const { page, requests } = await open('?speed=40')
    await openRun(page)
    await page.click('#play')
    await page.waitForFunction(() => ((window as unknown as { demoFrames: unknown[] }).demoFrames?.length ?? 0) > 10)
    const before = requests.length
    await page.click('#flag-stream')
    const { total, frames } = await streamResult(page)
    const after = requests.slice(before)
    expect(after).toContain(`backend GET /backtests/${runId}/stream`)
    expect(total).toBe(expectedFrames)
    expect(frames.flatMap((f) => f.orders)).toEqual(expectedOrders)
    expect(frames.length + (frames.at(-1)?.dropped ?? 0)).toBe(expectedFrames)
    expect(await page.locator('#status').textContent()).toContain('direct')
    await page.close()
  })

  it('falls back to direct mode when the BFF dies mid-playback, resumes at its position, and comes back after the probe', async () => {
    const { page, requests } = await open('?speed=30&cooldown=1500')
    await openRun(page)
    await page.click('#play')
    await page.waitForFunction(() => ((window as unknown as { demoFrames: unknown[] }).demoFrames?.length ?? 0) > 10)
    await bff.close()
    await page.waitForFunction(() => (document.getElementById('events')?.textContent ?? '').includes('fallback: stream'), undefined, {
      timeout: 20_000,
    })
    const { total, frames } = await streamResult(page)
    expect(total).toBe(expectedFrames)
    expect(frames.flatMap((f) => f.orders)).toEqual(expectedOrders)
    for (let i = 1; i < frames.length; i++) expect((frames[i]?.ts as string) > (frames[i - 1]?.ts as string)).toBe(true)
    expect(requests).toContain(`backend GET /backtests/${runId}/stream`)
    await startBff()
    await new Promise((r) => setTimeout(r, 1600))
    const before = requests.length
    const mode = await page.evaluate(
      async () => (await (window as unknown as { hewston: any }).hewston.listRuns({ limit: 1 })).metadata.mode,
    )
    expect(mode).toBe('bff')
    expect(requests.slice(before)).toContain('bff GET /api/v1/runs')
    await page.close()
  })

  it("obeys the kill switch: a flag turned off in the BFF's flags file moves clients to direct within one poll", async () => {
    const { page, requests } = await open('')
    writeFileSync(flagsFile, '{"chartData": false}')
    await page.waitForFunction(
      () => (window as unknown as { __HEWSTON_BFF__: { modes: { chartData: string } } }).__HEWSTON_BFF__?.modes.chartData === 'direct',
      undefined,
      { timeout: 3000 },
    )
    const before = requests.length
    const mode = await page.evaluate(
      async () =>
        (
          await (window as unknown as { hewston: any }).hewston.getChartData({
            symbol: 'AAPL',
            timeframe: '1D',
            from_date: '2024-01-01',
            to_date: '2024-12-31',
          })
        ).metadata.mode,
    )
    expect(mode).toBe('direct')
    expect(requests.slice(before).some((r) => r.startsWith('backend GET /bars/daily'))).toBe(true)
    writeFileSync(flagsFile, '{}')
    await page.close()
  })
})

/** Deep equality of two answers, ignoring `metadata` objects; numbers equal within 1e-9. */
function expectSameData(actual: unknown, expected: unknown, where: string): void {
  const diffs: string[] = []
  const walk = (a: unknown, e: unknown, at: string) => {
    if (diffs.length > 5) return
    if (typeof a === 'number' && typeof e === 'number') {
      if (!(Math.abs(a - e) <= 1e-9 || (Number.isNaN(a) && Number.isNaN(e)))) diffs.push(`${at}: ${a} vs ${e}`)
      return
    }
    if (a === null || e === null || typeof a !== 'object' || typeof e !== 'object') {
      if (a !== e) diffs.push(`${at}: ${JSON.stringify(a)} vs ${JSON.stringify(e)}`)
      return
    }
    if (Array.isArray(a) !== Array.isArray(e)) return void diffs.push(`${at}: array vs object`)
    const keys = new Set([...Object.keys(a), ...Object.keys(e)].filter((k) => k !== 'metadata'))
    for (const k of keys) walk((a as Record<string, unknown>)[k], (e as Record<string, unknown>)[k], `${at}.${k}`)
  }
  walk(actual, expected, where)
  expect(diffs, where).toEqual([])
}
