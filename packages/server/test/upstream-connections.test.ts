import { ReferenceBackend } from '@hewston-bff/reference-backend'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { BffApp } from '../src/index.js'
import { startBff, startGeneratedBackend } from './support/harness.js'

const counter = async (bff: BffApp, name: string): Promise<number> => {
  const metric = await bff.metrics.registry.getSingleMetric(name)?.get()
  return metric?.values.reduce((sum, v) => sum + v.value, 0) ?? 0
}

describe('an upstream that drops connections like uvicorn never causes a 502 (3)', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let bff: BffApp
  beforeAll(async () => {
    gen = await startGeneratedBackend()
    // Two sockets at most: a freed socket is picked up again at once, which is where the race lives.
    bff = (await startBff(gen.backend.url, { upstreamMaxSockets: 2 })).bff
  })
  afterEach(() => gen.backend.setFaults({}))
  afterAll(async () => {
    await bff?.close()
    await gen?.cleanup()
  })

  it("passes the upstream's 500s through and answers every other request, though each 500 closed its connection", async () => {
    const body = '{"strategy_id":"x","params":{},"seed":"abc"}'
    gen.backend.setFaults({ routes: [{ method: 'GET', path: '/healthz', status: 500 }] })
    const statuses: Record<string, number[]> = { crash: [], post: [], list: [], run: [] }
    const runId = gen.data.runs[0]?.runId as string
    for (let round = 0; round < 15; round++) {
      const results = await Promise.all([
        fetch(`${bff.url}/api/v1/healthz`).then((r) => ['crash', r.status] as const),
        fetch(`${bff.url}/api/v1/backtests`, { method: 'POST', body }).then((r) => ['post', r.status] as const),
        fetch(`${bff.url}/api/v1/backtests?limit=1`).then((r) => ['list', r.status] as const),
        fetch(`${bff.url}/backtests/${runId}`).then((r) => ['run', r.status] as const),
      ])
      for (const [kind, status] of results) statuses[kind]?.push(status)
    }
    expect(statuses.crash).toEqual(Array(15).fill(500))
    expect(statuses.post).toEqual(Array(15).fill(500))
    expect(statuses.list).toEqual(Array(15).fill(200))
    expect(statuses.run).toEqual(Array(15).fill(200))
    expect(bff.breaker.state).toBe('closed')
  })

  it('sends a GET once more on a fresh connection when a reused socket dies before answering', async () => {
    const url = `${bff.url}/api/v1/backtests?limit=1`
    expect((await fetch(url)).status).toBe(200) // a pooled socket now exists
    const retries = await counter(bff, 'hewston_bff_upstream_retries_total')
    const seen = gen.backend.stats.requests['GET /backtests'] ?? 0
    // The next request on that socket is dropped unanswered, as a stale keep-alive socket would be.
    gen.backend.setFaults({ routes: [{ method: 'GET', path: '/backtests', status: 'reset', times: 1 }] })
    const res = await fetch(url)
    expect(res.status).toBe(200)
    expect(await counter(bff, 'hewston_bff_upstream_retries_total')).toBe(retries + 1)
    // The reset happens before routing: the upstream counted only the retried request.
    expect(gen.backend.stats.requests['GET /backtests']).toBe(seen + 1)
  })

  it('never sends a POST twice: a reset on it is a 502', async () => {
    const posts = gen.backend.stats.requests['POST /backtests'] ?? 0
    gen.backend.setFaults({ routes: [{ method: 'POST', path: '/backtests', status: 'reset', times: 1 }] })
    const res = await fetch(`${bff.url}/api/v1/backtests`, { method: 'POST', body: '{}', headers: { 'idempotency-key': 'once' } })
    expect(res.status).toBe(502)
    expect((await res.json()).error.code).toBe('UPSTREAM_UNAVAILABLE')
    expect(gen.backend.stats.requests['POST /backtests'] ?? 0).toBe(posts)
  })
})

describe('idle upstream sockets', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let short: ReferenceBackend
  afterAll(async () => {
    await short?.close()
    await gen?.cleanup()
  })
  beforeAll(async () => {
    gen = await startGeneratedBackend()
    short = await new ReferenceBackend({ root: gen.data.root, keepAliveTimeoutMs: 150 }).start()
  })

  it('are dropped by the BFF before the upstream would (--upstream-idle-ms)', async () => {
    const { bff } = await startBff(gen.backend.url, { upstreamIdleMs: 150 })
    try {
      expect((await fetch(`${bff.url}/api/v1/healthz`)).status).toBe(200)
      const free = () => Object.values(bff.forwarder.agent.freeSockets).flat().length
      expect(free()).toBe(1)
      await new Promise((r) => setTimeout(r, 400))
      expect(free()).toBe(0)
    } finally {
      await bff.close()
    }
  })

  it('never turn into 502s when the upstream closes them first (misconfigured: BFF idle > upstream idle)', async () => {
    const { bff } = await startBff(short.url, { upstreamIdleMs: 60_000 })
    try {
      const statuses: number[] = []
      // Requests at intervals around the upstream's 150 ms idle timeout, so some land as it closes.
      for (let i = 0; i < 30; i++) {
        statuses.push((await fetch(`${bff.url}/api/v1/healthz`)).status)
        await new Promise((r) => setTimeout(r, 130 + (i % 5) * 10))
      }
      expect(statuses).toEqual(Array(30).fill(200))
    } finally {
      await bff.close()
    }
  })
})
