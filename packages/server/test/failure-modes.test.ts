import type { ReferenceBackend } from '@hewston-bff/reference-backend'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { BffApp } from '../src/index.js'
import { type LogCapture, startBff, startGeneratedBackend } from './support/harness.js'

describe('BFF-originated failures use the canonical envelope', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  let bff: BffApp
  let logs: LogCapture
  beforeAll(async () => {
    ;({ backend, cleanup } = await startGeneratedBackend())
    ;({ bff, logs } = await startBff(backend.url, { upstreamTimeoutMs: 400, breakerFailures: 3, breakerResetMs: 500 }))
  })
  afterEach(async () => {
    backend.setFaults({})
    if (!backend.running) await backend.start()
    // Let the breaker recover between tests.
    for (let i = 0; i < 20 && bff.breaker.state !== 'closed'; i++) {
      await new Promise((r) => setTimeout(r, 100))
      await fetch(`${bff.url}/api/v1/healthz`).catch(() => undefined)
    }
  })
  afterAll(async () => {
    await bff.close()
    await cleanup()
  })

  const expectEnvelope = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status)
    const body = (await res.json()) as { error: Record<string, unknown> }
    expect(body.error).toMatchObject({ code, correlation_id: res.headers.get('x-correlation-id') })
    expect(typeof body.error.message).toBe('string')
    expect('details' in body.error).toBe(true)
    return body
  }

  it('upstream down → 502 UPSTREAM_UNAVAILABLE, logged as an error', async () => {
    await backend.stop()
    const res = await fetch(`${bff.url}/api/v1/backtests`)
    await expectEnvelope(res, 502, 'UPSTREAM_UNAVAILABLE')
    expect(logs.lines.some((l) => l.level === 50 && l.msg === 'upstream call failed')).toBe(true)
  })

  it('upstream connection reset → 502 UPSTREAM_UNAVAILABLE', async () => {
    backend.setFaults({ routes: [{ path: '/backtests', status: 'reset', times: 1 }] })
    await expectEnvelope(await fetch(`${bff.url}/backtests`), 502, 'UPSTREAM_UNAVAILABLE')
  })

  it('upstream too slow → 504 UPSTREAM_TIMEOUT', async () => {
    backend.setFaults({ latencyMs: 1000 })
    const started = performance.now()
    await expectEnvelope(await fetch(`${bff.url}/api/v1/backtests`), 504, 'UPSTREAM_TIMEOUT')
    expect(performance.now() - started).toBeLessThan(950)
  })

  it('upstream 5xx answers pass through unchanged', async () => {
    backend.setFaults({ routes: [{ path: '/backtests', status: 503, body: '{"detail":"busy"}', times: 1 }] })
    const res = await fetch(`${bff.url}/api/v1/backtests`)
    expect(res.status).toBe(503)
    expect(await res.text()).toBe('{"detail":"busy"}')
  })

  it('opens the breaker after repeated failures (503 + Retry-After, no upstream calls) and recovers by itself', async () => {
    await backend.stop()
    for (let i = 0; i < 3; i++) await fetch(`${bff.url}/api/v1/backtests`)
    expect(bff.breaker.state).toBe('open')
    await backend.start()
    const before = backend.stats.requests['GET /backtests'] ?? 0
    const res = await fetch(`${bff.url}/api/v1/backtests`)
    await expectEnvelope(res, 503, 'UPSTREAM_UNAVAILABLE')
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(backend.stats.requests['GET /backtests'] ?? 0).toBe(before)
    const metrics = await (await fetch(`${bff.url}/metrics`)).text()
    expect(metrics).toMatch(/hewston_bff_circuit_breaker_state\{upstream="backend"\} 1/)
    await new Promise((r) => setTimeout(r, 600))
    expect((await fetch(`${bff.url}/api/v1/backtests`)).status).toBe(200)
    expect(bff.breaker.state).toBe('closed')
  })

  it('WebSocket to a dead upstream → handshake answered 502 with the envelope', async () => {
    await backend.stop()
    const ws = new WebSocket(`${bff.url.replace('http', 'ws')}/api/v1/backtests/x/ws`)
    ws.on('error', () => {})
    const [status, body] = await new Promise<[number, string]>((resolve) =>
      ws.on('unexpected-response', (_req, res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d))
        res.on('end', () => resolve([res.statusCode ?? 0, text]))
      }),
    )
    expect(status).toBe(502)
    expect(JSON.parse(body).error.code).toBe('UPSTREAM_UNAVAILABLE')
  })

  it('rejects bodies over the limit with 413, declared or streamed, without calling the upstream', async () => {
    const { bff: small, url } = await startBff(backend.url, { maxBodyBytes: 1024 })
    try {
      const before = backend.stats.requests['POST /backtests'] ?? 0
      const big = 'x'.repeat(4096)
      await expectEnvelope(await fetch(`${url}/api/v1/backtests`, { method: 'POST', body: big }), 413, 'PAYLOAD_TOO_LARGE')
      const stream = new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(big))
          c.close()
        },
      })
      const chunked = await fetch(`${url}/api/v1/backtests`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit)
      expect(chunked.status).toBe(413)
      expect(backend.stats.requests['POST /backtests'] ?? 0).toBe(before)
    } finally {
      await small.close()
    }
  })

  it("paths that are not the BFF's own go to the upstream, prefixed or not (its own 404)", async () => {
    for (const path of ['/nope', '/api/v1/nope']) {
      const res = await fetch(`${bff.url}${path}`)
      expect(res.status, path).toBe(404)
      expect(await res.json(), path).toEqual({ detail: 'Not Found' })
      expect(res.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/)
    }
  })

  it('a wrong method on a BFF endpoint → 405 METHOD_NOT_ALLOWED envelope with Allow', async () => {
    const res = await fetch(`${bff.url}/api/v1/chart-data`, { method: 'POST', body: '{}' })
    await expectEnvelope(res, 405, 'METHOD_NOT_ALLOWED')
    expect(res.headers.get('allow')).toBe('GET, HEAD')
  })

  it('malformed escapes and odd input never yield a 5xx', async () => {
    await expectEnvelope(await fetch(`${bff.url}/api/v1/runs/%ZZ/complete`), 400, 'BAD_REQUEST')
    for (const path of [
      '/%ZZ',
      '/api/v1/chart-data?symbol=%E0%A4%A&timeframe=1D',
      '/bars/daily?symbol=%ZZ',
      '/api/v1/runs?limit=99999999999999999999',
      '/api/v1/runs/..%2F..%2Fetc/complete',
    ]) {
      const res = await fetch(`${bff.url}${path}`)
      expect(res.status, path).toBeLessThan(500)
    }
  })
})
