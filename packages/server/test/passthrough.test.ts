import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { BffApp } from '../src/index.js'
import { EchoUpstream } from './support/echo-upstream.js'
import { startBff } from './support/harness.js'

describe('credentials, tracing and upstream headers pass through untouched', () => {
  let echo: EchoUpstream
  let bff: BffApp
  beforeAll(async () => {
    echo = await new EchoUpstream().start()
    ;({ bff } = await startBff(echo.url))
  })
  afterAll(async () => {
    await bff.close()
    await echo.close()
  })

  it('forwards Authorization, cookies, Idempotency-Key, traceparent, method, path, query and body', async () => {
    const res = await fetch(`${bff.url}/api/v1/backtests?limit=5&x=%20y`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer secret-token',
        cookie: 'sid=1; other=2',
        'idempotency-key': 'key-42',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        'content-type': 'text/plain',
      },
      body: '{"strategy_id":"x"}',
    })
    expect(res.status).toBe(200)
    const seen = echo.last()
    expect(seen.method).toBe('POST')
    expect(seen.url).toBe('/backtests?limit=5&x=%20y')
    expect(seen.body).toBe('{"strategy_id":"x"}')
    expect(seen.headers).toMatchObject({
      authorization: 'Bearer secret-token',
      cookie: 'sid=1; other=2',
      'idempotency-key': 'key-42',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      'content-type': 'text/plain',
    })
  })

  it('returns upstream headers (Set-Cookie included) and statuses such as 401 unchanged', async () => {
    const res = await fetch(`${bff.url}/backtests/unauthorized`)
    expect(res.status).toBe(401)
    expect(res.headers.getSetCookie()).toEqual(['session=abc; HttpOnly', 'theme=dark'])
    expect(res.headers.get('x-upstream-custom')).toBe('kept')
    expect(await res.text()).toBe('{"ok":false}')
  })

  it('accepts a valid client correlation id, forwards it upstream and echoes it', async () => {
    const res = await fetch(`${bff.url}/api/v1/healthz`, { headers: { 'x-correlation-id': 'client-id-12345' } })
    expect(res.headers.get('x-correlation-id')).toBe('client-id-12345')
    expect(echo.last().headers['x-correlation-id']).toBe('client-id-12345')
    const viaRequestId = await fetch(`${bff.url}/api/v1/healthz`, { headers: { 'x-request-id': 'req-id-67890' } })
    expect(viaRequestId.headers.get('x-correlation-id')).toBe('req-id-67890')
  })

  it('replaces an invalid correlation id with a generated one', async () => {
    const res = await fetch(`${bff.url}/api/v1/healthz`, { headers: { 'x-correlation-id': 'bad id with spaces' } })
    const id = res.headers.get('x-correlation-id')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(echo.last().headers['x-correlation-id']).toBe(id)
  })

  it('flushes SSE events one by one (the first arrives while the upstream still holds the stream)', async () => {
    const res = await fetch(`${bff.url}/api/v1/backtests/sse-hold/stream`)
    const reader = (res.body as ReadableStream<Uint8Array>).getReader()
    const first = await reader.read()
    expect(new TextDecoder().decode(first.value)).toBe('event: frame\ndata: {"n": 1}\n\n')
    echo.release()
    let rest = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      rest += new TextDecoder().decode(value)
    }
    expect(rest).toBe('event: end\ndata: {}\n\n')
  })
})

describe('WebSocket relay forwards credentials on the upstream handshake', () => {
  it('carries Authorization and cookies to the upstream WebSocket', async () => {
    const { WebSocketServer } = await import('ws')
    const seen: Record<string, unknown>[] = []
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' })
    wss.on('connection', (ws, req) => {
      seen.push(req.headers)
      ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary }))
    })
    await new Promise((r) => wss.once('listening', r))
    const port = (wss.address() as { port: number }).port
    const { bff } = await startBff(`http://127.0.0.1:${port}`)
    try {
      const ws = new WebSocket(`${bff.url.replace('http', 'ws')}/api/v1/backtests/abc/ws?x=1`, {
        headers: { authorization: 'Bearer t', cookie: 'a=b' },
      })
      await new Promise((r) => ws.on('open', r))
      const got: string[] = []
      ws.on('message', (d) => got.push(d.toString()))
      for (let i = 0; i < 50; i++) ws.send(`m${i}`)
      await new Promise((r) => setTimeout(r, 200))
      expect(got).toEqual(Array.from({ length: 50 }, (_v, i) => `m${i}`))
      expect(seen[0]).toMatchObject({ authorization: 'Bearer t', cookie: 'a=b' })
      ws.close()
    } finally {
      await bff.close()
      await new Promise((r) => wss.close(r))
    }
  })
})
