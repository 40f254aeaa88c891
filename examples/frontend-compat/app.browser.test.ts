/// <reference lib="dom" />
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type GenerateResult, generateWorkdir, ReferenceBackend } from '@hewston-bff/reference-backend'
import { freePort, repoRoot } from '@hewston-bff/reference-backend/testing'
import { type BffApp, createBffApp, defaultConfig } from '@hewston-bff/server'
import type { BrowserContext, Page } from 'playwright-core'
import { build } from 'vite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { haveChromium, launchChromium } from '../../packages/browser/test/support/chromium.js'

const chromiumHere = haveChromium()
const appDir = path.join(repoRoot(), 'examples/frontend-compat')

/**
 * The frontend migrated in one file: a Vite + React + TanStack Query app whose `src/services/` re-export
 * the frontend's names from `@hewston-bff/browser/compat` and `/react`. Type-checked (no skipLibCheck),
 * built by Vite, served from its own origin, and driven in Chromium through the BFF and in direct mode
 * (`?bff=off`), where it must show the same numbers.
 */
describe.skipIf(!chromiumHere)('examples/frontend-compat: the frontend on the SDK, changed in its imports only', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'hewston-compat-'))
  let data: GenerateResult
  let backend: ReferenceBackend
  let bff: BffApp
  let bffUrl: string
  let pageServer: http.Server
  let pageOrigin: string
  let context: BrowserContext
  let runId: string
  let want: { runs: number; daily: number; hour: number; frames: number; orders: number; range: string }

  beforeAll(async () => {
    data = generateWorkdir({ out: path.join(tmp, 'work'), symbols: ['AAPL', 'MSFT'], years: [2024], seed: 17 })
    const pagePort = await freePort()
    pageOrigin = `http://127.0.0.1:${pagePort}`
    backend = await new ReferenceBackend({ root: data.root, corsOrigins: [pageOrigin] }).start()
    bff = createBffApp(defaultConfig({ backend: backend.url, port: 0, root: data.root, corsOrigins: pageOrigin, logLevel: 'silent' }))
    bffUrl = await bff.listen()

    // What the backend itself says, to compare the page with.
    const list = (await (await fetch(`${backend.url}/backtests?symbol=AAPL`)).json()) as { items: { run_id: string }[] }
    runId = list.items[0]?.run_id as string
    const detail = (await (await fetch(`${backend.url}/backtests/${runId}`)).json()) as { run_from: string; run_to: string }
    const [from, to] = [detail.run_from.slice(0, 10), detail.run_to.slice(0, 10)]
    const bars = async (p: string) => ((await (await fetch(`${backend.url}/bars/${p}`)).json()) as { bars: unknown[] }).bars.length
    const stream = await (await fetch(`${backend.url}/backtests/${runId}/stream`)).text()
    want = {
      runs: list.items.length,
      daily: await bars(`daily?symbol=AAPL&from=${from}&to=${to}`),
      hour: await bars(`hour?symbol=AAPL&from=${from}&to=${to}&rth_only=true`),
      frames: stream.split('event: frame\n').length - 1,
      orders: [...stream.matchAll(/"order_id": "/g)].length,
      range: `${from} → ${to}`,
    }

    expect(want.frames).toBeGreaterThan(1000)
    expect(want.orders).toBeGreaterThan(0)

    // Vite bakes the two URLs in (VITE_*, read by the app's main.tsx), like the frontend's own .env.
    process.env.VITE_BFF_URL = bffUrl
    process.env.VITE_API_URL = backend.url
    await build({ root: appDir, logLevel: 'error', build: { outDir: path.join(tmp, 'dist'), emptyOutDir: true } })
    const dist = path.join(tmp, 'dist')
    pageServer = http.createServer((req, res) => {
      const file = path.join(dist, new URL(req.url ?? '/', pageOrigin).pathname)
      if (file.startsWith(dist) && existsSync(file) && file.endsWith('.js'))
        return res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file))
      res.writeHead(200, { 'content-type': 'text/html' }).end(readFileSync(path.join(dist, 'index.html')))
    })
    await new Promise<void>((r) => pageServer.listen(pagePort, '127.0.0.1', r))
    context = await launchChromium(path.join(tmp, 'profile'))
  }, 120_000)
  afterAll(async () => {
    delete process.env.VITE_BFF_URL
    delete process.env.VITE_API_URL
    await context?.close()
    await bff?.close()
    await backend?.close()
    await new Promise((r) => pageServer?.close(r))
    rmSync(tmp, { recursive: true, force: true })
  })

  it('type-checks against the published types of the SDK (strict, no skipLibCheck)', () => {
    const tsc = path.join(repoRoot(), 'node_modules/typescript/bin/tsc')
    expect(() => execFileSync(process.execPath, [tsc, '-p', path.join(appDir, 'tsconfig.json')], { stdio: 'pipe' })).not.toThrow()
  }, 120_000)

  /** Opens the app (with `search`), plays the run to its end; returns what it showed and where its requests went. */
  async function driveApp(search: string, transport: 'ws' | 'sse') {
    const page: Page = await context.newPage()
    const requests: string[] = []
    page.on('request', (r) => requests.push(r.url()))
    page.on('websocket', (ws) => requests.push(ws.url()))
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${pageOrigin}/${search}`)
    const text = (id: string) => page.getByTestId(id).textContent()
    await page.getByTestId('run-id').waitFor({ timeout: 15_000 })
    await page.waitForFunction(
      () =>
        ['daily-count', 'hour-count', 'decimated-count'].every((id) =>
          /^\d+$/.test(document.querySelector(`[data-testid="${id}"]`)?.textContent ?? ''),
        ),
      undefined,
      { timeout: 15_000 },
    )
    // The player says which transport carries the run before it plays: the BFF's WebSocket, or SSE direct.
    await page.waitForFunction((t) => document.querySelector('[data-testid="status"]')?.textContent === t, transport, { timeout: 15_000 })
    await page.getByTestId('faster').click()
    await page.getByTestId('play').click()
    await page.waitForFunction(() => document.querySelector('[data-testid="status"]')?.textContent === 'ended', undefined, {
      timeout: 30_000,
    })
    const shown = {
      runs: Number(await text('run-count')),
      runId: await text('run-id'),
      range: await text('run-range'),
      daily: Number(await text('daily-count')),
      hour: Number(await text('hour-count')),
      decimated: Number(await text('decimated-count')),
      frames: Number(await text('frames')),
      dropped: Number(await text('dropped')),
      orders: Number(await text('orders')),
      speed: Number(await text('speed')),
    }
    await page.close()
    expect(errors).toEqual([])
    return { shown, requests }
  }

  it('through the BFF: every call on the BFF, the run played to its end over the WebSocket with every order', async () => {
    const { shown, requests } = await driveApp('', 'ws')
    expect(shown).toMatchObject({
      runs: want.runs,
      runId,
      range: want.range,
      daily: want.daily,
      hour: want.hour,
      orders: want.orders,
      speed: 6000,
    })
    expect(shown.decimated).toBeGreaterThan(0)
    expect(shown.decimated).toBeLessThanOrEqual(500 * 1.2)
    expect(shown.frames + shown.dropped).toBe(want.frames)
    const api = requests.filter((u) => !u.startsWith(pageOrigin))
    expect(api.length).toBeGreaterThan(0)
    expect(api.every((u) => u.startsWith(bffUrl.replace(/^http/, 'ws')) || u.startsWith(bffUrl))).toBe(true)
    // The empty strategy filter is not sent (it emptied the list before), rth_only is.
    const list = api.find((u) => u.includes('/api/v1/backtests?')) as string
    expect([...new URL(list).searchParams.keys()]).toEqual(['symbol'])
    expect(new URL(api.find((u) => u.includes('/bars/hour')) as string).searchParams.get('rth_only')).toBe('true')
    expect(api.some((u) => u.includes(`/api/v1/runs/${runId}/stream`))).toBe(true)
  }, 60_000)

  it('in direct mode (?bff=off): the same numbers, straight from the backend (its SSE stream paced in the page), nothing sent to the BFF', async () => {
    const { shown, requests } = await driveApp('?bff=off', 'sse')
    expect(shown).toMatchObject({ runs: want.runs, runId, range: want.range, daily: want.daily, hour: want.hour, orders: want.orders })
    expect(shown.frames + shown.dropped).toBe(want.frames)
    const api = requests.filter((u) => !u.startsWith(pageOrigin))
    expect(api.some((u) => u.startsWith(`${backend.url}/backtests/${runId}/stream`))).toBe(true)
    expect(api.every((u) => u.startsWith(backend.url))).toBe(true)
  }, 60_000)
})
