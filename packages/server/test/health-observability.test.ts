import type { ReferenceBackend } from '@hewston-bff/reference-backend'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { BffApp } from '../src/index.js'
import { type LogCapture, startBff, startGeneratedBackend } from './support/harness.js'

describe('GET /health, logs and /metrics', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  let bff: BffApp
  let logs: LogCapture
  let runId: string
  beforeAll(async () => {
    const started = await startGeneratedBackend()
    backend = started.backend
    cleanup = started.cleanup
    runId = started.data.runs[1]?.runId as string
    ;({ bff, logs } = await startBff(backend.url, { root: started.data.root }))
  })
  afterAll(async () => {
    await bff.close()
    await cleanup()
  })

  it('reports ok with backend latency and the catalog', async () => {
    const res = await fetch(`${bff.url}/health`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as Record<string, unknown> & { uptime_s: unknown; timestamp: string }
    expect(body).toMatchObject({
      service: 'hewston-bff',
      version: '0.1.0',
      status: 'ok',
      dependencies: { backend: { status: 'ok', latency_ms: expect.any(Number) }, catalog: { status: 'ok' } },
    })
    expect(typeof body.uptime_s).toBe('number')
    expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false)
  })

  it('answers 503 down within 1 s even when the backend hangs', async () => {
    backend.setFaults({ routes: [{ path: '/healthz', status: 'hang' }] })
    const started = performance.now()
    const res = await fetch(`${bff.url}/health`)
    const elapsed = performance.now() - started
    backend.setFaults({})
    expect(res.status).toBe(503)
    expect(((await res.json()) as { dependencies: { backend: { status: string } } }).dependencies.backend.status).toBe('down')
    expect(elapsed).toBeLessThan(1000)
  })

  it('answers 503 down when the backend is gone', async () => {
    await backend.stop()
    const res = await fetch(`${bff.url}/health`)
    await backend.start()
    expect(res.status).toBe(503)
    expect(((await res.json()) as { status: string }).status).toBe('down')
  })

  it('writes one JSON log line per request with correlation id, route, status, latency and upstream time', async () => {
    await fetch(`${bff.url}/api/v1/backtests?limit=1`, { headers: { 'x-correlation-id': 'log-check-0001' } })
    await new Promise((r) => setTimeout(r, 20))
    const line = logs.lines.find((l) => l.correlation_id === 'log-check-0001' && l.msg === 'request')
    expect(line).toMatchObject({
      method: 'GET',
      route: '/api/v1/backtests',
      path: '/api/v1/backtests',
      status: 200,
      service: 'hewston-bff',
    })
    expect(typeof line?.latency_ms).toBe('number')
    expect(typeof line?.upstream_ms).toBe('number')
  })

  it('exposes request, upstream, in-flight, WebSocket and breaker metrics in Prometheus format', async () => {
    const ws = new WebSocket(`${bff.url.replace('http', 'ws')}/api/v1/backtests/${runId}/ws`)
    await new Promise((r) => ws.on('open', r))
    ws.send('{"t":"ctrl","cmd":"pause"}')
    await new Promise((r) => ws.once('message', r))
    const res = await fetch(`${bff.url}/metrics`)
    expect(res.headers.get('content-type')).toMatch(/text\/plain/)
    const text = await res.text()
    for (const name of [
      'hewston_bff_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/backtests",status="200"}',
      'hewston_bff_upstream_request_duration_seconds_count{route="/api/v1/backtests",status="200"}',
      'hewston_bff_http_requests_in_flight',
      'hewston_bff_ws_connections{kind="relay"} 1',
      'hewston_bff_ws_messages_total{direction="client_to_upstream"} 1',
      'hewston_bff_ws_messages_total{direction="upstream_to_client"} 1',
      'hewston_bff_circuit_breaker_state{upstream="backend"} 0',
      'hewston_bff_upstream_errors_total',
    ]) {
      expect(text).toContain(name)
    }
    ws.close()
  })
})
