import type { ReferenceBackend } from '@hewston-bff/reference-backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { startBff, startGeneratedBackend } from './support/harness.js'

describe('graceful shutdown', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  let runId: string
  beforeAll(async () => {
    const started = await startGeneratedBackend()
    ;({ backend, cleanup } = started)
    runId = started.data.runs[1]?.runId as string
  })
  afterAll(async () => cleanup())

  it('finishes in-flight requests, closes WebSockets with 1012 and stops accepting', async () => {
    const { bff, url } = await startBff(backend.url, { shutdownTimeoutMs: 5000 })
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/backtests/${runId}/ws`)
    await new Promise((r) => ws.on('open', r))
    const wsClosed = new Promise<[number, string]>((r) => ws.on('close', (code, reason) => r([code, reason.toString()])))
    backend.setFaults({ latencyMs: 400 })
    const inFlight = fetch(`${url}/api/v1/backtests?limit=1`)
    await new Promise((r) => setTimeout(r, 100))
    const closing = bff.close()
    const res = await inFlight
    expect(res.status).toBe(200)
    expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(1)
    expect(await wsClosed).toEqual([1012, 'BFF restarting'])
    await closing
    backend.setFaults({})
    await expect(fetch(`${url}/health`)).rejects.toThrow()
  })

  it('is bounded: a stream still running at the deadline is cut', async () => {
    const { bff, url } = await startBff(backend.url, { shutdownTimeoutMs: 300 })
    backend.setFaults({ latencyMs: 5000 })
    const hanging = fetch(`${url}/api/v1/backtests`).catch((e: Error) => e)
    await new Promise((r) => setTimeout(r, 50))
    const started = performance.now()
    await bff.close()
    expect(performance.now() - started).toBeLessThan(2000)
    expect(await hanging).toBeInstanceOf(Error)
    backend.setFaults({})
  })

  it('tells a playback client whose handshake was still waiting on the upstream to go elsewhere (1012), not a cut', async () => {
    const { bff, url } = await startBff(backend.url, { shutdownTimeoutMs: 3000 })
    // The handshake authorises the run with the upstream first; make that slow.
    backend.setFaults({ latencyMs: 500 })
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/runs/${runId}/stream`)
    ws.on('error', () => {})
    const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)))
    await new Promise((r) => setTimeout(r, 100))
    const closing = bff.close()
    expect(await closed).toBe(1012)
    await closing
    backend.setFaults({})
  })
})
