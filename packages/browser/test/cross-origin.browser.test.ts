/// <reference lib="dom" />
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type GenerateResult, generateWorkdir, ReferenceBackend } from '@hewston-bff/reference-backend'
import { freePort, repoRoot } from '@hewston-bff/reference-backend/testing'
import { type BffApp, createBffApp, defaultConfig } from '@hewston-bff/server'
import type { BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { haveChromium, launchChromium } from './support/chromium.js'

const chromiumHere = haveChromium()

/**
 * The SDK on a page that the BFF does not serve — the frontend's own origin, as in every real deployment —
 * served by a small static server of its own.
 */
describe.skipIf(!chromiumHere)('the SDK on a page of another origin than the BFF (CORS)', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'hewston-cors-'))
  let data: GenerateResult
  let backend: ReferenceBackend
  let pageServer: http.Server
  let pageOrigin: string
  let context: BrowserContext
  const bffs: BffApp[] = []

  beforeAll(async () => {
    data = generateWorkdir({ out: path.join(tmp, 'work'), symbols: ['AAPL'], years: [2024], seed: 33 })
    const pagePort = await freePort()
    pageOrigin = `http://127.0.0.1:${pagePort}`
    backend = await new ReferenceBackend({ root: data.root, corsOrigins: [pageOrigin] }).start()
    const sdk = readFileSync(path.join(repoRoot(), 'packages/browser/dist/bundle/hewston-bff.browser.js'))
    pageServer = http.createServer((req, res) => {
      if (req.url?.startsWith('/sdk.js')) return res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk)
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>frontend</title><p>frontend on its own origin</p>')
    })
    await new Promise<void>((r) => pageServer.listen(pagePort, '127.0.0.1', r))
    context = await launchChromium(path.join(tmp, 'profile'))
  })
  afterAll(async () => {
    await context?.close()
    for (const b of bffs) await b.close()
    await backend?.close()
    await new Promise((r) => pageServer?.close(r))
    rmSync(tmp, { recursive: true, force: true })
  })

  async function startBff(corsOrigins: string): Promise<string> {
    const bff = createBffApp(defaultConfig({ backend: backend.url, port: 0, root: data.root, corsOrigins, logLevel: 'silent' }))
    bffs.push(bff)
    return bff.listen()
  }

  /** Opens the frontend page with a client pointed at `bffUrl`; resolves with the page and its console errors. */
  async function frontend(bffUrl: string) {
    const page = await context.newPage()
    const consoleErrors: string[] = []
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text())
    })
    await page.goto(`${pageOrigin}/`)
    // A string, not a function: the test runner would rewrite a dynamic import() inside a function.
    await page.evaluate(`(async () => {
      const { createHewstonClient } = await import('/sdk.js')
      window.events = []
      window.client = createHewstonClient({ bffUrl: ${JSON.stringify(bffUrl)}, backendUrl: ${JSON.stringify(backend.url)}, flagsPollMs: 60000 })
      for (const e of ['config-error', 'fallback', 'mode']) window.client.on(e, (x) => window.events.push([e, x]))
    })()`)
    return { page, consoleErrors }
  }

  const calls = () =>
    (async () => {
      const c = (window as unknown as { client: any }).client
      const chart = await c.getChartData({ symbol: 'AAPL', timeframe: '1D', from_date: '2024-01-01', to_date: '2024-03-31' })
      const runs = await c.listRuns({ limit: 3 })
      const list = await c.listBacktests({ limit: 3 })
      return { chartMode: chart.metadata.mode, runsMode: runs.metadata.mode, listed: list.items.length, modes: c.modes() }
    })()

  it("uses the BFF when the page's origin is allowed (--cors-origin)", async () => {
    const bffUrl = await startBff(`${pageOrigin},http://127.0.0.1:5173`)
    const { page, consoleErrors } = await frontend(bffUrl)
    const result = await page.evaluate(calls)
    expect(result).toMatchObject({ chartMode: 'bff', runsMode: 'bff', listed: data.runs.length })
    expect(Object.values(result.modes)).toEqual(['bff', 'bff', 'bff', 'bff'])
    const events = await page.evaluate(() => (window as unknown as { events: [string][] }).events.map((e) => e[0]))
    expect(events).not.toContain('config-error')
    expect(events).not.toContain('fallback')
    expect(consoleErrors).toEqual([])
    await page.close()
  })

  it("reports a BFF that refuses the page's origin as a configuration error naming the origin, not an outage, and still answers (direct)", async () => {
    const bffUrl = await startBff('http://127.0.0.1:5173')
    const { page, consoleErrors } = await frontend(bffUrl)
    const result = await page.evaluate(calls)
    // The app keeps working, straight from the backend.
    expect(result).toMatchObject({ chartMode: 'direct', runsMode: 'direct', listed: data.runs.length })
    expect(Object.values(result.modes)).toEqual(['direct', 'direct', 'direct', 'direct'])
    const events = await page.evaluate(() => (window as unknown as { events: [string, any][] }).events)
    const configErrors = events.filter((e) => e[0] === 'config-error')
    expect(configErrors).toHaveLength(1)
    expect(configErrors[0]?.[1]).toMatchObject({ code: 'CORS_ORIGIN_NOT_ALLOWED', origin: pageOrigin, bffUrl })
    expect(events.map((e) => e[0])).not.toContain('fallback')
    expect(consoleErrors.some((m) => m.includes(`--cors-origin ${pageOrigin}`))).toBe(true)
    await page.close()
  })
})
