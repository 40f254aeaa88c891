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
    expect(run.artifacts.equity_path).toMatch(/equity\.parquet$/)
    const bars = await up.minuteDecimatedBars({ symbol: 'AAPL', from: '2024-12-02', to: '2024-12-06', target: 500 })
    expect(bars.meta.stride_minutes).toBe(15)
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
