import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ReferenceBackend } from '../src/server.js'
import { startGeneratedBackend } from '../src/testing/generated.js'
import { parseResponses, rawHttp } from '../src/testing/raw-http.js'

describe('the reference backend behaves like uvicorn on the wire', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let fast: ReferenceBackend
  let noIdle: ReferenceBackend
  beforeAll(async () => {
    gen = await startGeneratedBackend()
    fast = await new ReferenceBackend({ root: gen.data.root, keepAliveTimeoutMs: 300 }).start()
    // No idle timeout: a close can only come from the behaviour under test.
    noIdle = await new ReferenceBackend({ root: gen.data.root, keepAliveTimeoutMs: 0 }).start()
  })
  afterAll(async () => {
    await fast?.close()
    await noIdle?.close()
    await gen?.cleanup()
  })

  it('closes the connection after an unhandled 500, without announcing it', async () => {
    const c = rawHttp(noIdle.url)
    const body = '{"strategy_id":"x","params":{},"seed":"abc"}'
    await c.write(`POST /backtests HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`)
    const [res] = await c.responses(1)
    expect(res?.head).toMatch(/^HTTP\/1\.1 500 /)
    expect(res?.body).toBe('Internal Server Error')
    expect(res?.head).not.toMatch(/connection: close/i)
    await c.closed
    // A second request on that connection gets nothing back.
    expect(parseResponses(c.received, true)).toHaveLength(1)
  })

  it('keeps a connection open across ordinary requests and 4xx answers', async () => {
    const c = rawHttp(noIdle.url)
    await c.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    const responses = await c.responses(3)
    expect(responses.map((r) => r.head.split('\r\n')[0])).toEqual(['HTTP/1.1 200 OK', 'HTTP/1.1 404 Not Found', 'HTTP/1.1 200 OK'])
    expect(c.isClosed).toBe(false)
    c.socket.destroy()
  })

  it('closes idle keep-alive connections silently after --keep-alive-timeout-ms, with no Keep-Alive hint', async () => {
    const c = rawHttp(fast.url)
    await c.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    const [res] = await c.responses(1)
    expect(res?.head).not.toMatch(/keep-alive: timeout/i)
    expect(res?.head).not.toMatch(/connection: close/i)
    await c.closed
    expect(c.isClosed).toBe(true)
  })

  it("uses uvicorn's 5 s idle timeout by default", async () => {
    const c = rawHttp(gen.backend.url)
    await c.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    await c.responses(1)
    await new Promise((r) => setTimeout(r, 4000))
    expect(c.isClosed).toBe(false)
    await Promise.race([c.closed, new Promise((r) => setTimeout(r, 3000))])
    expect(c.isClosed).toBe(true)
  }, 15_000)

  it("refuses ambiguous framing with h11's 400 and closes", async () => {
    const cases = [
      'POST /backtests HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /backtests HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}',
      'POST /backtests HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n',
      'POST /backtests HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'GET /healthz HTTP/1.1\r\n\r\n',
    ]
    for (const raw of cases) {
      const c = rawHttp(gen.backend.url)
      await c.write(raw)
      await c.closed
      const [res] = parseResponses(c.received, true)
      expect(res?.head, raw).toMatch(/^HTTP\/1\.1 400 Bad Request/)
      expect(res?.body, raw).toBe('Invalid HTTP request received.')
    }
  })
})
