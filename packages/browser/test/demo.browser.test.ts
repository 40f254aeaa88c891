/// <reference lib="dom" />
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type GenerateResult, generateWorkdir, ReferenceBackend } from '@hewston-bff/reference-backend'
import { freePort } from '@hewston-bff/reference-backend/testing'
import { type BffApp, createBffApp, defaultConfig } from '@hewston-bff/server'
import { type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) {
  if (process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROMIUM}; .ci/run installs Debian's chromium`)
  console.warn(`\n  NOTICE: skipping browser tests: no Chromium at ${CHROMIUM} (apt-get install -y chromium).\n`)
}

describe.skipIf(!haveChromium)('the demo page in headless Chromium against real BFF and backend processes', () => {
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
    context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    })
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

  it('returns equal data from every method in both modes', async () => {
    const { page } = await open('')
    const result = await page.evaluate(async (id) => {
      const c = (window as unknown as { hewston: any }).hewston
      const strip = (x: any) =>
        JSON.parse(
          JSON.stringify(x, (k, v) =>
            ['mode', 'load_time_ms', 'cache_hit', 'upstream_calls', 'sources', 'fallbacks', 'metadata'].includes(k) ? undefined : v,
          ),
        )
      const all = async () => ({
        list: await c.listBacktests({ limit: 5 }),
        detail: await c.getRunDetail(id),
        daily: await c.fetchDaily('AAPL', '2024-12-01', '2024-12-31'),
        minute: await c.fetchMinute('AAPL', '2024-12-02', '2024-12-02'),
        hour: await c.fetchHour('AAPL', '2024-12-02', '2024-12-06'),
        decimated: await c.fetchMinuteDecimated('AAPL', '2024-01-01', '2024-12-31', 2000),
        chart: strip(
          await c.getChartData({
            symbol: 'AAPL',
            timeframe: '1M_DECIMATED',
            from_date: '2024-10-01',
            to_date: '2024-12-31',
            target_points: 3000,
          }),
        ),
        runs: strip(await c.listRuns({ limit: 5 })).items.map((i: any) => i.run_id),
        complete: await c.getRunComplete(id, { equity_points: 500 }),
      })
      const bff = await all()
      c.flags.set({ proxy: false, chartData: false, runData: false })
      const direct = await all()
      c.flags.set({ proxy: true, chartData: true, runData: true })
      return { bff, direct }
    }, runId)
    const { bff, direct } = result
    for (const k of ['list', 'detail', 'daily', 'minute', 'hour', 'decimated', 'chart', 'runs'] as const) expect(direct[k]).toEqual(bff[k])
    expect(bff.complete.metadata.mode).toBe('bff')
    expect(direct.complete.metadata.mode).toBe('direct')
    expect(direct.complete.equity).toEqual(bff.complete.equity)
    expect(direct.complete.orders).toEqual(bff.complete.orders)
    expect(direct.complete.metrics.total_return).toBeCloseTo(bff.complete.metrics.total_return, 6)
    expect(direct.complete.metrics.max_drawdown).toBeCloseTo(bff.complete.metrics.max_drawdown, 6)
    await page.close()
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
