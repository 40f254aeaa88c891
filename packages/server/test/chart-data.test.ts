import { gunzipSync } from 'node:zlib'
import type { ReferenceBackend } from '@hewston-bff/reference-backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BffApp } from '../src/index.js'
import { startBff, startGeneratedBackend } from './support/harness.js'

describe('GET /api/v1/chart-data', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  let bff: BffApp
  beforeAll(async () => {
    ;({ backend, cleanup } = await startGeneratedBackend({ symbols: ['AAPL', 'MSFT'] }))
    ;({ bff } = await startBff(backend.url))
  })
  afterAll(async () => {
    await bff.close()
    await cleanup()
  })
  const url = (qs: string) => `${bff.url}/api/v1/chart-data?${qs}`
  const minuteCalls = () => backend.stats.requests['GET /bars/minute'] ?? 0

  it('answers an upstream 200 of the wrong shape with 502 UPSTREAM_CONTRACT (8)', async () => {
    backend.setFaults({ routes: [{ method: 'GET', path: '/bars/daily', status: 200, body: '{"symbol":"MSFT","bars":[{"t":1}]}' }] })
    try {
      const res = await fetch(url('symbol=MSFT&timeframe=1D&from_date=2021-01-01&to_date=2021-01-31'))
      expect(res.status).toBe(502)
      const body = (await res.json()) as { error: { code: string; correlation_id: string } }
      expect(body.error.code).toBe('UPSTREAM_CONTRACT')
      expect(body.error.correlation_id).toBe(res.headers.get('x-correlation-id'))
    } finally {
      backend.setFaults({})
    }
  })

  it("answers a cold year from the upstream's decimation, fills its chunks behind it, then serves it from them", async () => {
    const qs = 'symbol=aapl&timeframe=1M_DECIMATED&from_date=2024-01-01&to_date=2024-12-31&target_points=2000'
    const res = await fetch(url(qs))
    expect(res.status).toBe(200)
    const body = (await res.json()) as { symbol: string; bars: { t: string }[]; metadata: Record<string, unknown> }
    expect(body.symbol).toBe('AAPL')
    // Cold: a couple of small decimated answers; the exact total is not known yet.
    expect(body.metadata).toMatchObject({
      decimated: true,
      from_date: '2024-01-01',
      to_date: '2024-12-31',
      cache_hit: false,
      total_bars: null,
    })
    expect(body.metadata.upstream_calls).toBeLessThanOrEqual(3)
    expect(body.bars.length).toBe(body.metadata.returned_bars)
    expect(body.bars.length).toBeLessThanOrEqual(2000)
    expect(body.bars[0]?.t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/)
    await bff.charts.chunks.whenIdle()
    await new Promise((r) => setTimeout(r, 10))
    expect(minuteCalls()).toBeGreaterThanOrEqual(12)
    const again = (await (await fetch(url(qs))).json()) as typeof body
    expect(again.metadata).toMatchObject({ cache_hit: true, upstream_calls: 0, total_bars: 101_010 })
    expect(again.bars).toEqual(body.bars)
  })

  it('answers columnar format with the same data', async () => {
    const qs = 'symbol=AAPL&timeframe=1D&from_date=2024-06-01&to_date=2024-06-30'
    const rows = (await (await fetch(url(qs))).json()) as { bars: Record<string, unknown>[] }
    const cols = (await (await fetch(url(`${qs}&format=columnar`))).json()) as { bars: Record<string, unknown[]> }
    expect(cols.bars.t).toEqual(rows.bars.map((b) => b.t))
    expect(cols.bars.c).toEqual(rows.bars.map((b) => b.c))
  })

  it('sends a strong ETag, 304 on If-None-Match, and Cache-Control from the TTL', async () => {
    const qs = 'symbol=AAPL&timeframe=1H&from_date=2024-03-01&to_date=2024-03-31'
    const first = await fetch(url(qs))
    const etag = first.headers.get('etag') as string
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{32}"$/)
    expect(first.headers.get('cache-control')).toBe('public, max-age=86400')
    const second = await fetch(url(qs), { headers: { 'if-none-match': etag } })
    expect(second.status).toBe(304)
    expect(await second.text()).toBe('')
    const other = await fetch(url('symbol=AAPL&timeframe=1H&from_date=2024-03-01&to_date=2024-03-30'), {
      headers: { 'if-none-match': etag },
    })
    expect(other.status).toBe(200)
  })

  it('compresses large bodies (gzip)', async () => {
    const { request } = await import('node:http')
    const u = new URL(url('symbol=AAPL&timeframe=1M&from_date=2024-12-02&to_date=2024-12-06'))
    const [encoding, body] = await new Promise<[string | undefined, Buffer]>((resolve, reject) => {
      request({ host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve([res.headers['content-encoding'], Buffer.concat(chunks)]))
      })
        .on('error', reject)
        .end()
    })
    expect(encoding).toBe('gzip')
    const parsed = JSON.parse(gunzipSync(body).toString()) as { bars: unknown[] }
    expect(parsed.bars).toHaveLength(5 * 390)
  })

  it('rejects bad input with 422 VALIDATION naming each field, without upstream calls', async () => {
    const before = minuteCalls()
    const res = await fetch(url('symbol=../etc&timeframe=2H&from_date=2024-02-30&to_date=2024-03-01&target_points=5'))
    expect(res.status).toBe(422)
    const body = (await res.json()) as { error: { code: string; details: { field: string }[]; correlation_id: string } }
    expect(body.error.code).toBe('VALIDATION')
    expect(body.error.details.map((d) => d.field)).toEqual(['symbol', 'timeframe', 'from_date', 'target_points'])
    expect(body.error.correlation_id).toBe(res.headers.get('x-correlation-id'))
    const span = await fetch(url('symbol=AAPL&timeframe=1D&from_date=2010-01-01&to_date=2024-01-01'))
    expect(span.status).toBe(422)
    expect(minuteCalls()).toBe(before)
  })

  it('maps an unknown symbol to 404 DATASET_NOT_FOUND', async () => {
    const res = await fetch(url('symbol=ZZZZ&timeframe=1D&from_date=2024-01-01&to_date=2024-12-31'))
    expect(res.status).toBe(404)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('DATASET_NOT_FOUND')
  })

  it("never serves one credential's cached bars to another, and never stores the secret", async () => {
    const qs = 'symbol=MSFT&timeframe=1M&from_date=2024-05-06&to_date=2024-05-07'
    const before = minuteCalls()
    const alice = { authorization: 'Bearer alice-secret' }
    const a1 = await fetch(url(qs), { headers: alice })
    expect(a1.headers.get('cache-control')).toMatch(/^private, /)
    await fetch(url(qs), { headers: alice })
    expect(minuteCalls() - before).toBe(1)
    await fetch(url(qs), { headers: { authorization: 'Bearer bob-secret' } })
    expect(minuteCalls() - before).toBe(2)
    await fetch(url(qs), { headers: { cookie: 'session=carol' } })
    expect(minuteCalls() - before).toBe(3)
    await fetch(url(qs))
    expect(minuteCalls() - before).toBe(4)
  })

  it('passes an upstream 401 through unchanged and does not cache it', async () => {
    backend.setFaults({ routes: [{ path: '/bars/daily', status: 401, body: '{"detail":"Not authenticated"}', times: 1 }] })
    const qs = 'symbol=MSFT&timeframe=1D&from_date=2024-02-01&to_date=2024-02-28'
    const denied = await fetch(url(qs), { headers: { authorization: 'Bearer expired' } })
    expect(denied.status).toBe(401)
    expect(await denied.text()).toBe('{"detail":"Not authenticated"}')
    const ok = await fetch(url(qs), { headers: { authorization: 'Bearer expired' } })
    expect(ok.status).toBe(200)
  })

  it("maps upstream outages to the proxy's envelopes", async () => {
    await backend.stop()
    const res = await fetch(url('symbol=MSFT&timeframe=1H&from_date=2023-01-01&to_date=2023-12-31'))
    await backend.start()
    expect(res.status).toBe(502)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UPSTREAM_UNAVAILABLE')
  })
})
