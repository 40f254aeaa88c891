import type { ReferenceBackend } from '@hewston-bff/reference-backend'
import { startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createUpstreamClient, UpstreamHttpError, UpstreamTimeoutError, UpstreamUnavailableError } from '../src/index.js'

describe('createUpstreamClient against the reference backend', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    ;({ backend, cleanup } = await startGeneratedBackend({ seed: 5 }))
  })
  afterAll(async () => cleanup())

  it('returns contract-checked data', async () => {
    const up = createUpstreamClient({ baseUrl: backend.url })
    expect(await up.healthz()).toEqual({ status: 'ok' })
    const list = await up.listBacktests({ limit: 1 })
    expect(list.items).toHaveLength(1)
    const run = await up.getRun(list.items[0]?.run_id as string)
    expect(run.artifacts?.equity_path).toMatch(/equity\.parquet$/)
    const bars = await up.minuteDecimatedBars({ symbol: 'AAPL', from: '2024-12-02', to: '2024-12-06', target: 500 })
    expect(bars.meta?.stride_minutes).toBe(15)
    const stub = await up.createBacktest({ strategy_id: 'sma' }, 'key-1')
    expect(stub).toEqual({ run_id: expect.stringMatching(/^stub-/), status: 'QUEUED' })
  })

  it('turns upstream failures into typed errors', async () => {
    const up = createUpstreamClient({ baseUrl: backend.url, timeoutMs: 300 })
    const notFound = await up.getRun('nope').catch((e) => e)
    expect(notFound).toBeInstanceOf(UpstreamHttpError)
    expect(notFound.status).toBe(404)
    expect(JSON.parse(notFound.body)).toEqual({ error: { code: 'RUN_NOT_FOUND', message: 'Run nope not found' } })
    backend.setFaults({ latencyMs: 1000 })
    await expect(up.healthz()).rejects.toBeInstanceOf(UpstreamTimeoutError)
    backend.setFaults({})
    const dead = createUpstreamClient({ baseUrl: 'http://127.0.0.1:9' })
    await expect(dead.healthz()).rejects.toBeInstanceOf(UpstreamUnavailableError)
  })
})

describe('answer schemas accept everything the contract allows', () => {
  /** A fake upstream answering each path with a fixed body (answer shapes are the unit here). */
  const upstreamAnswering = (bodies: Record<string, unknown>) =>
    createUpstreamClient({
      baseUrl: 'http://upstream.test',
      fetch: (async (input: RequestInfo | URL) => {
        const path = new URL(String(input instanceof Request ? input.url : input)).pathname
        return new Response(JSON.stringify(bodies[path]), { status: 200, headers: { 'content-type': 'application/json' } })
      }) as typeof fetch,
    })

  it('takes null and absent optional fields without an error (as the frontend does)', async () => {
    const up = upstreamAnswering({
      '/backtests': {
        items: [{ run_id: 'r1', created_at: '2024-01-01T00:00:00Z', strategy_id: 's', status: 'QUEUED' }],
        total: 1,
        limit: 1,
        offset: 0,
      },
      '/backtests/r1': {
        run_id: 'r1',
        dataset_id: null,
        strategy_id: 's',
        params: {},
        seed: null,
        slippage_fees: {},
        speed: 1,
        code_hash: null,
        created_at: '2024-01-01T00:00:00Z',
        status: 'QUEUED',
        duration_ms: null,
        artifacts: null,
        manifest: null,
      },
      '/bars/minute_decimated': { symbol: 'AAPL', bars: [] },
    })
    const list = await up.listBacktests()
    expect(list.items[0]?.symbol).toBeUndefined()
    const run = await up.getRun('r1')
    expect(run).toMatchObject({ dataset_id: null, seed: null, code_hash: null, artifacts: null })
    expect((await up.minuteDecimatedBars({ symbol: 'AAPL', from: '2024-01-02', to: '2024-01-02' })).meta).toBeUndefined()
  })

  it('takes any creation status string', async () => {
    const up = createUpstreamClient({
      baseUrl: 'http://upstream.test',
      fetch: (async () =>
        new Response('{"run_id":"r2","status":"RUNNING"}', {
          status: 200,
          headers: { 'content-type': 'application/json' },
        })) as typeof fetch,
    })
    expect(await up.createBacktest({ strategy_id: 's' })).toEqual({ run_id: 'r2', status: 'RUNNING' })
  })
})
