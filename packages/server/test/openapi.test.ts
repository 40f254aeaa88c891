import type { ReferenceBackend } from '@hewston-bff/reference-backend'
import { Validator } from '@seriousme/openapi-schema-validator'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { BffApp } from '../src/index.js'
import { startBff, startGeneratedBackend } from './support/harness.js'

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>> }

/** Compiles the document's response schema of (path, status) with ajv (JSON Schema 2020-12, OpenAPI 3.1's dialect). */
function contract(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  ajv.addSchema(doc, 'bff')
  const pointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1')
  return (path: string, status: number, body: unknown, method = 'get'): string[] => {
    const response = doc.paths[path]?.[method]?.responses[String(status)]
    if (!response) return [`${method} ${path} does not document status ${status}`]
    if (!response.content) return []
    const validate = ajv.getSchema(`bff#/paths/${pointer(path)}/${method}/responses/${status}/content/application~1json/schema`)
    if (!validate) return [`no schema for ${path} ${status}`]
    return validate(body) ? [] : (validate.errors ?? []).map((e) => `${path} ${status}: ${e.instancePath} ${e.message}`)
  }
}

describe('the OpenAPI document of the BFF (/api/v1/openapi.json)', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let backend: ReferenceBackend
  let withRoot: BffApp
  let bare: BffApp
  let doc: Doc
  let check: ReturnType<typeof contract>
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 27 })
    backend = gen.backend
    withRoot = (await startBff(backend.url, { root: gen.data.root })).bff
    bare = (await startBff(backend.url)).bff
    doc = (await (await fetch(`${withRoot.url}/api/v1/openapi.json`)).json()) as Doc
    check = contract(doc)
  })
  afterAll(async () => {
    await withRoot?.close()
    await bare?.close()
    await gen?.cleanup()
  })

  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator()
    const result = await validator.validate(structuredClone(doc) as unknown as Parameters<Validator['validate']>[0])
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it("describes the BFF's own endpoints only; the upstream's document stays at /openapi.json", async () => {
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/api/v1/chart-data',
        '/api/v1/flags',
        '/api/v1/openapi.json',
        '/api/v1/runs',
        '/api/v1/runs/{id}/complete',
        '/api/v1/runs/{id}/stream',
        '/health',
        '/livez',
        '/readyz',
      ].sort(),
    )
    const upstreamDoc = await fetch(`${withRoot.url}/openapi.json`)
    expect(await upstreamDoc.text()).toBe(await (await fetch(`${backend.url}/openapi.json`)).text())
  })

  it('matches every answer the BFF gives, success and error, on every endpoint', async () => {
    const problems: string[] = []
    let checked = 0
    const answer = async (bff: BffApp, docPath: string, url: string, init?: RequestInit) => {
      const res = await fetch(`${bff.url}${url}`, init)
      const text = await res.text()
      const body = text ? JSON.parse(text) : undefined
      problems.push(...check(docPath, res.status, body))
      expect(res.headers.get('x-correlation-id'), url).toBeTruthy()
      checked++
      return { status: res.status, body, etag: res.headers.get('etag') }
    }
    const runId = gen.data.runs[0]?.runId as string
    for (const bff of [withRoot, bare]) {
      // chart-data: every timeframe, both formats, cold and warm, 304, validation errors
      for (const timeframe of ['1D', '1H', '1M', '1M_DECIMATED']) {
        for (const format of ['rows', 'columnar']) {
          const url = `/api/v1/chart-data?symbol=AAPL&timeframe=${timeframe}&from_date=2024-11-01&to_date=2024-11-08&format=${format}`
          const first = await answer(bff, '/api/v1/chart-data', url)
          if (bff === withRoot) {
            expect(first.status).toBe(200)
            const again = await answer(bff, '/api/v1/chart-data', url, { headers: { 'if-none-match': first.etag as string } })
            expect(again.status).toBe(304)
          }
        }
      }
      await answer(bff, '/api/v1/chart-data', '/api/v1/chart-data?symbol=A!&timeframe=2H&from_date=2024-13-01&to_date=x')
      // runs and complete runs: every part, with and without artifacts, unknown run, bad options
      await answer(bff, '/api/v1/runs', '/api/v1/runs?limit=5')
      await answer(bff, '/api/v1/runs', '/api/v1/runs?limit=abc')
      for (const q of [
        '',
        'include_fills=1&include_chart=1H&equity_points=100',
        'include_metrics=0&include_equity=0&include_orders=0',
        'include_chart=1D',
      ])
        await answer(bff, '/api/v1/runs/{id}/complete', `/api/v1/runs/${runId}/complete?${q}`)
      await answer(bff, '/api/v1/runs/{id}/complete', '/api/v1/runs/no-such-run/complete')
      await answer(bff, '/api/v1/runs/{id}/complete', `/api/v1/runs/${runId}/complete?equity_points=3`)
      await answer(bff, '/api/v1/runs/{id}/stream', `/api/v1/runs/${runId}/stream`)
      await answer(bff, '/api/v1/flags', '/api/v1/flags')
      for (const p of ['/health', '/livez', '/readyz', '/readyz?only=drain']) await answer(bff, p.split('?')[0] as string, p)
    }
    // Over the rate limit: 429 with the envelope, on every endpoint.
    const limitedBff = (await startBff(backend.url, { rateLimitRps: 1, rateLimitBurst: 0 })).bff
    try {
      for (const [docPath, url] of [
        ['/api/v1/flags', '/api/v1/flags'],
        ['/api/v1/chart-data', '/api/v1/chart-data?symbol=AAPL&timeframe=1D&from_date=2024-01-01&to_date=2024-01-31'],
        ['/api/v1/runs', '/api/v1/runs'],
        ['/api/v1/runs/{id}/complete', `/api/v1/runs/${runId}/complete`],
        ['/api/v1/runs/{id}/stream', `/api/v1/runs/${runId}/stream`],
      ] as const) {
        const limited = await Promise.all(Array.from({ length: 3 }, () => answer(limitedBff, docPath, url)))
        expect(limited.some((a) => a.status === 429)).toBe(true)
      }
    } finally {
      await limitedBff.close()
    }
    // The backend down: /health and /readyz 503, upstream errors on the aggregated endpoints.
    await backend.stop()
    try {
      await answer(withRoot, '/health', '/health')
      await answer(withRoot, '/api/v1/runs', '/api/v1/runs?limit=5&offset=1')
      await answer(withRoot, '/api/v1/chart-data', '/api/v1/chart-data?symbol=MSFT&timeframe=1D&from_date=2020-01-01&to_date=2020-01-31')
    } finally {
      await backend.restart()
    }
    expect(problems).toEqual([])
    expect(checked).toBeGreaterThan(60)
  })

  it('matches every message of a playback stream, and the handshake refusals', async () => {
    const runId = gen.data.runs[0]?.runId as string
    const messages: unknown[] = []
    for (const fields of ['', '&fields=orders', '&fields=ohlc,equity']) {
      const ws = new WebSocket(`${withRoot.url.replace('http', 'ws')}/api/v1/runs/${runId}/stream?speed=100000&autoplay=1${fields}`)
      ws.on('open', () => ws.send(JSON.stringify({ t: 'ctrl', cmd: 'speed', speed: 200000, client_seq: 1 })))
      await new Promise<void>((resolve, reject) => {
        ws.on('message', (d: Buffer) => {
          const m = JSON.parse(d.toString())
          messages.push(m)
          if (m.t === 'end') resolve()
        })
        ws.on('error', reject)
      })
      ws.close()
    }
    const ajv = new Ajv2020({ strict: false })
    ajv.addSchema(doc, 'bff')
    const validate = ajv.getSchema('bff#/components/schemas/PlaybackMessage')
    const bad = messages.filter((m) => !validate?.(m)).slice(0, 3)
    expect(bad).toEqual([])
    expect(new Set(messages.map((m) => (m as { t: string }).t))).toEqual(new Set(['status', 'frame', 'ctrl', 'end']))
    // Refused handshakes answer with the documented envelope.
    for (const [url, status] of [
      [`/api/v1/runs/no-such-run/stream`, 404],
      [`/api/v1/runs/${runId}/stream?fps=0`, 422],
    ] as const) {
      const refused = await new Promise<{ status: number; body: unknown }>((resolve) => {
        const ws = new WebSocket(`${withRoot.url.replace('http', 'ws')}${url}`)
        ws.on('unexpected-response', (_req, res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
        })
        ws.on('error', () => {})
      })
      expect(refused.status).toBe(status)
      expect(check('/api/v1/runs/{id}/stream', status, refused.body)).toEqual([])
    }
  })

  it('is browsable at /api/v1/docs with assets served by the BFF itself (no CDN)', async () => {
    const page = await fetch(`${withRoot.url}/api/v1/docs/`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('SwaggerUIBundle')
    const external = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string).filter((u) => /^(https?:)?\/\//.test(u))
    expect(external).toEqual([])
    for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css'])
      expect((await fetch(`${withRoot.url}/api/v1/docs/${asset}`)).status).toBe(200)
    expect((await fetch(`${withRoot.url}/api/v1/docs`, { redirect: 'manual' })).status).toBe(301)
  })
})
