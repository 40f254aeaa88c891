import { rawHttp } from '@hewston-bff/reference-backend/testing'
import { describe, expect, it } from 'vitest'
import { bffOnGeneratedBackend } from './support/harness.js'

const ENVELOPE_KEYS = ['code', 'message', 'details', 'correlation_id']

/** Every BFF-originated error: the canonical envelope, its correlation id echoed in the header. */
function expectEnvelope(res: { status: number; headers: Record<string, string>; body: string } | undefined, status: number, code: string) {
  expect(res?.status).toBe(status)
  const body = JSON.parse(res?.body ?? '{}') as { error: Record<string, unknown> }
  expect(Object.keys(body.error)).toEqual(ENVELOPE_KEYS)
  expect(body.error.code).toBe(code)
  expect(res?.headers['x-correlation-id']).toBe(body.error.correlation_id)
}

describe('hostile clients get nothing the upstream would not give them', () => {
  const fx = bffOnGeneratedBackend()

  const streamKey = 'GET /backtests/{run_id}/stream'
  const get = async (path: string) => {
    const res = await fetch(`${fx.bff.url}${path}`)
    return { status: res.status, type: res.headers.get('content-type'), body: await res.text() }
  }

  it('cannot smuggle a request inside a chunked OPTIONS/DELETE body (1)', async () => {
    for (const method of ['OPTIONS', 'DELETE']) {
      const hidden = `GET /backtests/${fx.gen.data.runs[0]?.runId}/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`
      const streamsBefore = fx.gen.backend.stats.requests[streamKey] ?? 0
      const attacker = rawHttp(fx.bff.url)
      await attacker.write(
        `${method} /api/v1/healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${hidden.length.toString(16)}\r\n${hidden}\r\n0\r\n\r\n`,
      )
      // The attacker gets the upstream's own answer to its request (405 on /healthz), not an empty 400.
      const [own] = await attacker.responses(1)
      expect(own?.status, method).toBe(405)
      expect(JSON.parse(own?.body ?? '{}')).toEqual({ detail: 'Method Not Allowed' })
      attacker.close()
      const victims = await Promise.all(Array.from({ length: 20 }, () => get('/api/v1/backtests?limit=1')))
      for (const v of victims) {
        expect(v.status).toBe(200)
        expect(v.type).toBe('application/json')
        expect(JSON.parse(v.body).limit).toBe(1)
      }
      // The hidden request never reached the upstream as a request.
      expect(fx.gen.backend.stats.requests[streamKey] ?? 0).toBe(streamsBefore)
    }
  })

  it('cannot open the breaker with its own Connection: close and big bodies (2)', async () => {
    const body = 'x'.repeat(1024 * 1024 - 100)
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const pair = [0, 1].map(async () => {
        const c = rawHttp(fx.bff.url)
        await c.write(`GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`)
        await c.write(body)
        const [res] = await c.responses(1)
        c.close()
        return res?.status ?? 0
      })
      statuses.push(...(await Promise.all(pair)))
    }
    expect(statuses).toEqual(Array(10).fill(200))
    expect(fx.bff.breaker.state).toBe('closed')
    expect((await get('/api/v1/backtests?limit=1')).status).toBe(200)
  })

  it('checks exactly what it forwards: absolute-form targets are reduced to their path (6)', async () => {
    const c = rawHttp(fx.bff.url)
    await c.write('GET http://127.0.0.1:1/api/v1/backtests?limit=1 HTTP/1.1\r\nHost: x\r\n\r\n')
    await c.write('GET http://127.0.0.1:1/api/v1/bars/daily?symbol=..%2Fbars%2FAAPL HTTP/1.1\r\nHost: x\r\n\r\n')
    await c.write('GET /api/v1/bars/%64aily?symbol=..%2Fbars%2FAAPL HTTP/1.1\r\nHost: x\r\n\r\n')
    const [list, traversal, encoded] = await c.responses(3)
    expect(list?.status).toBe(200)
    expect(JSON.parse(list?.body ?? '{}').limit).toBe(1)
    expectEnvelope(traversal, 422, 'VALIDATION')
    // uvicorn decodes %64 before routing: the guard reads the path the same way.
    expectEnvelope(encoded, 422, 'VALIDATION')
    c.close()
  })

  it('never strips a framing header named in Connection', async () => {
    const c = rawHttp(fx.bff.url)
    const payload = '{"strategy_id":"x"}'
    await c.write(
      `POST /api/v1/backtests HTTP/1.1\r\nHost: x\r\nConnection: content-length, keep-alive\r\nContent-Length: ${payload.length}\r\n\r\n${payload}`,
    )
    await c.write('GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    const [post, health] = await c.responses(2)
    expect(post?.status).toBe(400)
    expect(JSON.parse(post?.body ?? '{}').error.message).toBe('provide dataset_id or (symbol, year)')
    expect(health?.status).toBe(200)
    c.close()
  })

  it('answers what Node refuses with the envelope: control bytes, huge heads, long targets, odd encodings (7)', async () => {
    const cases: [string, number, string][] = [
      ['GET /api/v1/back\x01tests HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'BAD_REQUEST'],
      [`GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
      [`GET /api/v1/healthz?${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
      [`GET /api/v1/healthz?${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 414, 'URI_TOO_LONG'],
      [
        'POST /api/v1/backtests HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        400,
        'BAD_REQUEST',
      ],
      ['POST /api/v1/backtests HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}', 400, 'BAD_REQUEST'],
      ['POST /api/v1/backtests HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n', 400, 'BAD_REQUEST'],
      ['GET /api/v1/healthz HTTP/1.1\r\n\r\n', 400, 'BAD_REQUEST'],
    ]
    for (const [raw, status, code] of cases) {
      const c = rawHttp(fx.bff.url)
      await c.write(raw)
      const [res] = await c.responses(1)
      expectEnvelope(res, status, code)
      expect(res?.headers.connection).toBe('close')
      await c.closed
    }
  })
})

describe('slow and numerous clients are cut off', () => {
  const fx = bffOnGeneratedBackend({ headersTimeoutMs: 400, requestTimeoutMs: 800, maxConnections: 30 })

  it('closes slowloris connections with a 408 envelope after the headers timeout (7)', async () => {
    const clients = Array.from({ length: 20 }, () => rawHttp(fx.bff.url))
    await Promise.all(clients.map((c) => c.connected))
    await Promise.all(clients.map((c) => c.write('GET /api/v1/healthz HTTP/1.1\r\nHost: x\r\n')))
    // Keep trickling header lines, never finishing the head.
    const trickle = setInterval(() => {
      for (const c of clients) void c.write(`X-Slow-${Math.random().toString(36).slice(2)}: 1\r\n`)
    }, 100)
    await Promise.all(clients.map((c) => Promise.race([c.closed, new Promise((r) => setTimeout(r, 10_000))])))
    clearInterval(trickle)
    for (const c of clients) {
      expect(c.isClosed).toBe(true)
      const [res] = await c.responses(1)
      expectEnvelope(res, 408, 'REQUEST_TIMEOUT')
    }
    expect((await fetch(`${fx.bff.url}/api/v1/healthz`)).status).toBe(200)
  })

  it('refuses connections over the cap with a 503 envelope and serves again once they are gone (7)', async () => {
    const held = Array.from({ length: 30 }, () => rawHttp(fx.bff.url))
    await Promise.all(held.map((c) => c.connected))
    await new Promise((r) => setTimeout(r, 50))
    const extra = rawHttp(fx.bff.url)
    const [res] = await extra.responses(1)
    expectEnvelope(res, 503, 'OVERLOADED')
    for (const c of held) c.close()
    await new Promise((r) => setTimeout(r, 100))
    expect((await fetch(`${fx.bff.url}/api/v1/healthz`)).status).toBe(200)
  })
})
