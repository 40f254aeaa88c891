import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { parseRouteFault } from '../src/faults.js'
import { type GenerateResult, generateWorkdir, ReferenceBackend } from '../src/index.js'

describe('reference backend fault injection', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'hewston-faults-'))
  let gen: GenerateResult
  let backend: ReferenceBackend
  let runId: string
  beforeAll(async () => {
    gen = generateWorkdir({ out, symbols: ['AAPL'], years: [2024], seed: 3 })
    runId = gen.runs.find((r) => r.from === '2024-12-01')?.runId as string
    backend = await new ReferenceBackend({ root: out }).start()
  })
  afterEach(() => backend.setFaults({}))
  afterAll(async () => {
    await backend.close()
    rmSync(out, { recursive: true, force: true })
  })

  it('is off by default', async () => {
    expect(backend.faults).toEqual({})
    expect((await fetch(`${backend.url}/healthz`)).status).toBe(200)
  })

  it('adds latency to every response', async () => {
    backend.setFaults({ latencyMs: 300 })
    const t0 = performance.now()
    await fetch(`${backend.url}/healthz`)
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290)
  })

  it('fails a route with a status, by method and wildcard path, a limited number of times', async () => {
    backend.setFaults({ routes: [{ method: 'GET', path: '/bars/*', status: 503, times: 1 }] })
    const url = `${backend.url}/bars/daily?symbol=AAPL&from=2024-12-02&to=2024-12-02`
    const first = await fetch(url)
    expect(first.status).toBe(503)
    expect(await first.json()).toEqual({ detail: 'Injected fault' })
    expect((await fetch(url)).status).toBe(200)
    expect((await fetch(`${backend.url}/healthz`)).status).toBe(200)
  })

  it('resets the connection or hangs without answering', async () => {
    backend.setFaults({
      routes: [
        { path: '/backtests', status: 'reset' },
        { path: '/healthz', status: 'hang' },
      ],
    })
    await expect(fetch(`${backend.url}/backtests`)).rejects.toThrow()
    await expect(fetch(`${backend.url}/healthz`, { signal: AbortSignal.timeout(300) })).rejects.toThrow(/abort|timeout/i)
  })

  it('parses CLI route faults', () => {
    expect(parseRouteFault('GET /bars/*=503')).toEqual({ method: 'GET', path: '/bars/*', status: 503 })
    expect(parseRouteFault('/backtests=reset')).toEqual({ method: undefined, path: '/backtests', status: 'reset' })
    expect(() => parseRouteFault('/x=abc')).toThrow(/invalid --fail-route/)
  })

  it('emits the upstream HEAD STREAM_ERROR instead of frames, on SSE and WS', async () => {
    backend.setFaults({ streamError: true })
    const sse = await (await fetch(`${backend.url}/backtests/${runId}/stream`)).text()
    expect(sse).toBe('event: error\ndata: {"code": "STREAM_ERROR", "msg": "name \'_norm_ts\' is not defined"}\n\n')
    const messages = await wsPlay(backend.url, runId, 800)
    expect(messages).toContain('{"t": "err", "code": "STREAM_ERROR", "msg": "name \'_norm_ts\' is not defined"}')
    expect(messages.some((m) => m.startsWith('{"t": "frame"'))).toBe(false)
  })

  it('drops WS and SSE connections abruptly after N frames', async () => {
    backend.setFaults({ closeStreamAfterFrames: 250 })
    const ws = new WebSocket(`${backend.url.replace('http', 'ws')}/backtests/${runId}/ws`)
    let frames = 0
    ws.on('message', (d) => {
      if (d.toString().startsWith('{"t": "frame"')) frames++
    })
    await new Promise((r) => ws.on('open', r))
    ws.send('{"t":"ctrl","cmd":"play"}')
    const code = await new Promise<number>((r) => ws.on('close', r))
    expect(code).toBe(1006)
    expect(frames).toBe(250)

    const res = await fetch(`${backend.url}/backtests/${runId}/stream`)
    const text = await res.text().catch(() => 'ABORTED')
    // Either the body errors mid-read or ends early; never with the end event.
    expect(text.includes('event: end')).toBe(false)
  })

  it('stops like a crash and restarts on the same port', async () => {
    const port = backend.port
    const ws = new WebSocket(`${backend.url.replace('http', 'ws')}/backtests/${runId}/ws`)
    await new Promise((r) => ws.on('open', r))
    const closed = new Promise<number>((r) => ws.on('close', r))
    await backend.stop()
    expect(await closed).toBe(1006)
    await expect(fetch(`${backend.url}/healthz`)).rejects.toThrow()
    await backend.start()
    expect(backend.port).toBe(port)
    expect((await fetch(`${backend.url}/healthz`)).status).toBe(200)
    await backend.restart()
    expect(backend.port).toBe(port)
    expect((await fetch(`${backend.url}/healthz`)).status).toBe(200)
  })

  it('never reads outside its root, whatever the symbol', async () => {
    const res = await fetch(`${backend.url}/bars/daily?symbol=${encodeURIComponent('../../../../../../etc')}`)
    expect(res.status).toBe(404)
  })
})

async function wsPlay(baseUrl: string, runId: string, waitMs: number): Promise<string[]> {
  const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/backtests/${runId}/ws`)
  const messages: string[] = []
  ws.on('message', (d) => messages.push(d.toString()))
  await new Promise((r) => ws.on('open', r))
  ws.send('{"t":"ctrl","cmd":"play"}')
  await new Promise((r) => setTimeout(r, waitMs))
  ws.close()
  return messages
}
