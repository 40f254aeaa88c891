import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { ReferenceBackend } from '@hewston-bff/reference-backend'
import { repoRoot, sharedFixtures, startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FsArtifactSource } from '../src/artifacts/fs-artifact-source.js'
import type { BffApp } from '../src/index.js'
import { startBff } from './support/harness.js'

interface Complete {
  run: { run_id: string; status: string }
  metrics: Record<string, number | null> | null
  equity: { ts: string; value: number }[] | null
  orders: Record<string, unknown>[] | null
  fills?: Record<string, unknown>[] | null
  chart?: { metadata: { total_bars: number } } | null
  metadata: {
    cache_hit: boolean
    upstream_calls: number
    sources: Record<string, string | null>
    partial_data: boolean
    failed_sources: { source: string; code: string; message: string }[]
    fallbacks: { source: string; code: string; message: string }[]
    equity_points: number
    equity_total_points: number
    orders_count: number
  }
}

const get = async (bff: BffApp, runId: string, qs = '', headers: Record<string, string> = {}) => {
  const res = await fetch(`${bff.url}/api/v1/runs/${runId}/complete${qs ? `?${qs}` : ''}`, { headers })
  return { status: res.status, body: (await res.json()) as Complete & { error?: { code: string } } }
}

const shared = sharedFixtures('complete run data on the real runs')

describe.skipIf(!shared)('GET /api/v1/runs/{id}/complete on the real data', () => {
  let backend: ReferenceBackend
  let withRoot: BffApp
  let withoutRoot: BffApp
  const runs = ['2b6f388ab7e84859b914a8b425fd636c', '2d5e4d11831541a38b9af277c23fbf85', '40184e4f80184090a1ac56810aa83f70']
  beforeAll(async () => {
    backend = await new ReferenceBackend({ root: shared?.dataRoot as string }).start()
    withRoot = (await startBff(backend.url, { root: shared?.dataRoot })).bff
    withoutRoot = (await startBff(backend.url)).bff
  })
  afterAll(async () => {
    await withRoot?.close()
    await withoutRoot?.close()
    await backend?.close()
  })

  it('serves every run from artifacts with --root and from the upstream stream without, with equal data', async () => {
    for (const id of runs) {
      const a = await get(withRoot, id, 'equity_points=0')
      const s = await get(withoutRoot, id, 'equity_points=0')
      expect(a.status).toBe(200)
      expect(s.status).toBe(200)
      // metrics.json's own values, completed from the equity curve: the same metric set as without --root.
      expect(a.body.metadata.sources).toMatchObject({
        run: 'upstream',
        metrics: 'artifact+computed',
        equity: 'artifact',
        orders: 'artifact',
      })
      expect(s.body.metadata.sources).toMatchObject({ run: 'upstream', metrics: 'computed', equity: 'stream', orders: 'stream' })
      const stored = a.body.metrics ?? {}
      const computed = s.body.metrics ?? {}
      expect(Object.keys(stored).sort()).toEqual(Object.keys(computed).sort())
      for (const [k, v] of Object.entries(computed)) {
        if (v === null) expect(stored[k], k).toBeNull()
        else expect(Math.abs((stored[k] as number) - v), `${id} ${k}`).toBeLessThan(1e-9)
      }
      expect(s.body.equity).toEqual(a.body.equity)
      expect(s.body.orders).toEqual(a.body.orders)
      expect(a.body.run.run_id).toBe(id)
      expect(a.body.metadata.partial_data).toBe(false)
    }
    const big = await get(withRoot, runs[0] as string, 'equity_points=0')
    expect(big.body.metadata).toMatchObject({ equity_total_points: 132_469, orders_count: 1578 })
  })

  it('answers every include combination with exactly the requested parts', async () => {
    for (const bff of [withRoot, withoutRoot]) {
      for (const id of runs) {
        for (let mask = 0; mask < 16; mask++) {
          const [m, e, o, f] = [1, 2, 4, 8].map((b) => (mask & b) !== 0)
          const { status, body } = await get(bff, id, `include_metrics=${m}&include_equity=${e}&include_orders=${o}&include_fills=${f}`)
          expect(status).toBe(200)
          expect(body.metrics === null).toBe(!m)
          expect(body.equity === null).toBe(!e)
          expect(body.orders === null).toBe(!o)
          expect('fills' in body).toBe(f)
          if (f) {
            if (bff === withRoot) expect(body.fills).toHaveLength(id === runs[0] ? 1578 : 2)
            else expect(body.metadata.failed_sources).toEqual([expect.objectContaining({ source: 'fills', code: 'NO_ARTIFACT_SOURCE' })])
          }
        }
      }
    }
  })

  it('gets metrics that agree from all three sources (artifact, catalog, computed)', async () => {
    const db = new DatabaseSync(path.join(shared?.dataRoot as string, 'data', 'catalog.sqlite'), { readOnly: true })
    try {
      for (const id of runs) {
        const artifact = (await get(withRoot, id)).body.metrics as Record<string, number>
        const computed = (await get(withoutRoot, id)).body.metrics as Record<string, number>
        const catalog = db.prepare('SELECT total_return, max_drawdown FROM run_metrics WHERE run_id = ?').get(id) as Record<string, number>
        for (const k of ['total_return', 'max_drawdown']) {
          expect(catalog[k]).toBeCloseTo(artifact[k] as number, 12)
          expect(computed[k]).toBeCloseTo(artifact[k] as number, 6)
        }
      }
    } finally {
      db.close()
    }
  })

  it('decimates equity preserving its extremes, never the orders', async () => {
    const full = (await get(withRoot, runs[0] as string, 'equity_points=0')).body
    const small = (await get(withRoot, runs[0] as string, 'equity_points=500')).body
    expect(small.equity?.length).toBeLessThanOrEqual(500)
    expect(small.metadata).toMatchObject({ equity_points: small.equity?.length, equity_total_points: 132_469, orders_count: 1578 })
    const values = (full.equity ?? []).map((p) => p.value)
    expect(small.equity?.map((p) => p.value)).toContain(values.reduce((a, b) => Math.min(a, b)))
    expect(small.equity?.map((p) => p.value)).toContain(values.reduce((a, b) => Math.max(a, b)))
    expect(small.orders).toEqual(full.orders)
  })

  it('adds the chart of the run window', async () => {
    const { body } = await get(withRoot, runs[0] as string, 'include_chart=1H&include_equity=false&include_orders=false')
    expect(body.metadata.sources.chart).toBe('chart-data')
    expect(body.chart?.metadata.total_bars).toBeGreaterThan(300)
    const stub = await get(withRoot, runs[1] as string, 'include_chart=1D')
    expect(stub.body.metadata.failed_sources).toEqual([expect.objectContaining({ source: 'chart', code: 'RUN_WINDOW_UNKNOWN' })])
  })

  it('caches per caller and answers warm requests from cache', async () => {
    const first = await get(withRoot, runs[0] as string, 'equity_points=100', { authorization: 'Bearer a' })
    const second = await get(withRoot, runs[0] as string, 'equity_points=100', { authorization: 'Bearer a' })
    expect(first.body.metadata.cache_hit).toBe(false)
    expect(second.body.metadata.cache_hit).toBe(true)
    // Authorised a moment ago with the same credentials (--run-auth-ttl-s): no upstream call at all.
    expect(second.body.metadata.upstream_calls).toBe(0)
    const other = await get(withRoot, runs[0] as string, 'equity_points=100', { authorization: 'Bearer b' })
    expect(other.body.metadata.cache_hit).toBe(false)
    expect(other.body.metadata.upstream_calls).toBeGreaterThanOrEqual(1)
  })

  it('checks the authorisation upstream on every request in strict mode (--run-auth-ttl-s 0)', async () => {
    const strict = (await startBff(backend.url, { root: shared?.dataRoot, runAuthTtlS: 0 })).bff
    try {
      await get(strict, runs[0] as string, 'equity_points=100', { authorization: 'Bearer s' })
      const warm = await get(strict, runs[0] as string, 'equity_points=100', { authorization: 'Bearer s' })
      expect(warm.body.metadata).toMatchObject({ cache_hit: true, upstream_calls: 1 })
    } finally {
      await strict.close()
    }
  })
})

describe('complete run data: failures are partial, authorisation comes first', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let root: string
  let runId: string
  let otherRun: string
  let bff: BffApp
  let noRoot: BffApp
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 41 })
    // A writable copy of the working directory that the BFF reads (the backend keeps the pristine one).
    root = mkdtempSync(path.join(tmpdir(), 'hewston-bff-root-'))
    cpSync(gen.data.root, root, { recursive: true })
    runId = gen.data.runs.find((r) => r.from === '2024-12-01')?.runId as string
    otherRun = gen.data.runs.find((r) => r.from === '2024-10-01')?.runId as string
    bff = (await startBff(gen.backend.url, { root })).bff
    noRoot = (await startBff(gen.backend.url)).bff
  })
  afterAll(async () => {
    await bff.close()
    await noRoot.close()
    await gen.cleanup()
    rmSync(root, { recursive: true, force: true })
  })

  it('falls back to the upstream stream when an artifact is missing, and says so', async () => {
    unlinkSync(path.join(root, 'data', 'backtests', runId, 'orders.parquet'))
    const { status, body } = await get(bff, runId)
    expect(status).toBe(200)
    expect(body.metadata.sources.orders).toBe('stream')
    expect(body.metadata.fallbacks).toEqual([expect.objectContaining({ source: 'orders', code: 'ARTIFACT_MISSING' })])
    expect(body.metadata.partial_data).toBe(false)
    expect(body.orders?.length).toBe(gen.data.runs.find((r) => r.runId === runId)?.orders)
  })

  it('fails only the part whose artifact is corrupt when the stream cannot stand in', async () => {
    writeFileSync(path.join(root, 'data', 'backtests', otherRun, 'fills.parquet'), 'PAR1 this is not parquet')
    writeFileSync(path.join(root, 'data', 'backtests', otherRun, 'metrics.json'), '{"total_return": 0.1,')
    const { status, body } = await get(bff, otherRun, 'include_fills=true')
    expect(status).toBe(200)
    expect(body.metadata.partial_data).toBe(true)
    expect(body.metadata.failed_sources).toEqual([expect.objectContaining({ source: 'fills', code: 'ARTIFACT_UNREADABLE' })])
    expect(body.fills).toBeNull()
    expect(body.metadata.sources.metrics).toBe('catalog+computed')
    expect(body.metadata.fallbacks).toEqual([expect.objectContaining({ source: 'metrics', code: 'ARTIFACT_UNREADABLE' })])
    expect(body.equity?.length).toBeGreaterThan(0)
  })

  it('reads the catalog through a brief write lock (busy timeout), as the upstream rewrites it constantly', async () => {
    // With metrics.json unreadable, metrics come from the catalog.
    writeFileSync(path.join(root, 'data', 'backtests', otherRun, 'metrics.json'), '{"total_return": 0.1,')
    // The lock is held by another process, as the upstream would (node:sqlite waits synchronously).
    const holder = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        '-e',
        `const {DatabaseSync}=require('node:sqlite');const db=new DatabaseSync(process.argv[1]);db.exec('BEGIN EXCLUSIVE');console.log('locked');setTimeout(()=>{db.exec('COMMIT');db.close()},400)`,
        path.join(root, 'data', 'catalog.sqlite'),
      ],
      { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = new Promise((r) => holder.once('exit', r))
    await new Promise((r) => holder.stdout?.once('data', r))
    const { status, body } = await get(bff, otherRun, 'include_equity=false&include_orders=false')
    await exited
    expect(status).toBe(200)
    expect(body.metadata.sources.metrics).toBe('catalog+computed')
    expect(body.metadata.failed_sources).toEqual([])
  })

  it('refuses artifact paths that escape the root (symlinks here, `..` below)', async () => {
    for (const name of ['fills.parquet', 'equity.parquet']) {
      const link = path.join(root, 'data', 'backtests', runId, name)
      unlinkSync(link)
      symlinkSync('/etc/hostname', link)
    }
    const { body } = await get(bff, runId, 'include_fills=true&equity_points=0')
    expect(body.metadata.failed_sources).toEqual([expect.objectContaining({ source: 'fills', code: 'PATH_OUTSIDE_ROOT' })])
    expect(body.metadata.fallbacks).toContainEqual(expect.objectContaining({ source: 'equity', code: 'PATH_OUTSIDE_ROOT' }))
    expect(body.metadata.sources.equity).toBe('stream')
    const source = new FsArtifactSource(root)
    for (const bad of ['../../../../etc/passwd', '/etc/passwd', 'data/../../outside.json']) {
      await expect(source.readJson(bad)).rejects.toMatchObject({ code: 'PATH_OUTSIDE_ROOT' })
    }
  })

  it('reports the upstream STREAM_ERROR on the parts that needed the stream', async () => {
    gen.backend.setFaults({ streamError: true })
    try {
      const { status, body } = await get(noRoot, otherRun)
      expect(status).toBe(200)
      expect(body.metadata.partial_data).toBe(true)
      const failed = Object.fromEntries(body.metadata.failed_sources.map((f) => [f.source, f.code]))
      expect(failed).toEqual({ equity: 'STREAM_ERROR', orders: 'STREAM_ERROR', metrics: 'NO_METRICS_SOURCE' })
      expect(body.run.run_id).toBe(otherRun)
    } finally {
      gen.backend.setFaults({})
    }
  })

  it('retries a transient upstream failure on the run detail', async () => {
    gen.backend.setFaults({ routes: [{ path: `/backtests/${runId}`, status: 503, times: 1 }] })
    const { status, body } = await get(noRoot, runId, 'include_equity=false&include_orders=false&include_metrics=false')
    expect(status).toBe(200)
    expect(body.metadata.upstream_calls).toBe(2)
  })

  it('answers 502 when the upstream keeps failing on the run, 404 RUN_NOT_FOUND for unknown runs, 401 as is', async () => {
    // Fresh credentials each time: nothing is remembered for them, so the upstream decides.
    gen.backend.setFaults({
      routes: [{ path: `/backtests/${runId}`, status: 500, body: 'Internal Server Error', contentType: 'text/plain' }],
    })
    try {
      const failing = await get(bff, runId, '', { authorization: 'Bearer failing' })
      expect(failing.status).toBe(502)
      expect(failing.body.error?.code).toBe('UPSTREAM_UNAVAILABLE')
      gen.backend.setFaults({ routes: [{ path: `/backtests/${runId}`, status: 401, body: '{"detail":"Not authenticated"}' }] })
      const before = gen.backend.stats.sseStreams
      const denied = await fetch(`${bff.url}/api/v1/runs/${runId}/complete`, { headers: { authorization: 'Bearer denied' } })
      expect(denied.status).toBe(401)
      expect(await denied.text()).toBe('{"detail":"Not authenticated"}')
      expect(gen.backend.stats.sseStreams).toBe(before) // nothing read before authorisation
    } finally {
      gen.backend.setFaults({})
    }
    const missing = await get(bff, 'deadbeef')
    expect(missing.status).toBe(404)
    expect(missing.body.error?.code).toBe('RUN_NOT_FOUND')
  })

  it('forgets an authorisation as soon as any part is refused for those credentials (401/403/404)', async () => {
    const auth = { authorization: 'Bearer revoked-soon' }
    expect((await get(noRoot, runId, 'equity_points=60', auth)).status).toBe(200)
    const trusted = await get(noRoot, runId, 'equity_points=61', auth)
    expect(trusted.body.metadata.upstream_calls).toBe(1) // the stream only: the run detail was remembered
    gen.backend.setFaults({ routes: [{ path: `/backtests/${runId}/stream`, status: 401, body: '{"detail":"token revoked"}' }] })
    try {
      const refused = await get(noRoot, runId, 'equity_points=62', auth)
      expect(refused.body.metadata.failed_sources).toContainEqual(expect.objectContaining({ code: 'UPSTREAM_401' }))
    } finally {
      gen.backend.setFaults({})
    }
    const rechecked = await get(noRoot, runId, 'equity_points=63', auth)
    expect(rechecked.body.metadata.upstream_calls).toBeGreaterThanOrEqual(2) // the run detail is asked again
  })

  it('validates the run id and options before any I/O', async () => {
    const before = gen.backend.stats.requests[`GET /backtests/{run_id}`] ?? 0
    const res = await fetch(`${bff.url}/api/v1/runs/bad.id!/complete?equity_points=3`)
    expect(res.status).toBe(422)
    const body = (await res.json()) as { error: { code: string; details: { field: string }[] } }
    expect(body.error.details.map((d) => d.field)).toEqual(['run_id', 'equity_points'])
    expect(gen.backend.stats.requests[`GET /backtests/{run_id}`] ?? 0).toBe(before)
  })

  it('keeps callers apart: another credential re-reads instead of sharing a cached answer', async () => {
    const before = gen.backend.stats.sseStreams
    await get(noRoot, runId, 'equity_points=50', { authorization: 'Bearer alice' })
    await get(noRoot, runId, 'equity_points=50', { authorization: 'Bearer alice' })
    expect(gen.backend.stats.sseStreams - before).toBe(1)
    await get(noRoot, runId, 'equity_points=50', { authorization: 'Bearer bob' })
    expect(gen.backend.stats.sseStreams - before).toBe(2)
  })

  it('invalidates a cached answer when an artifact changes', async () => {
    const metricsFile = path.join(root, 'data', 'backtests', runId, 'metrics.json')
    writeFileSync(metricsFile, '{"total_return": 0.5, "max_drawdown": 0.1}')
    const first = await get(bff, runId, 'include_equity=false&include_orders=false')
    const warm = await get(bff, runId, 'include_equity=false&include_orders=false')
    expect(warm.body.metadata.cache_hit).toBe(true)
    writeFileSync(metricsFile, '{"total_return": 0.25, "max_drawdown": 0.125}')
    const changed = await get(bff, runId, 'include_equity=false&include_orders=false')
    expect(first.body.metrics).toMatchObject({ total_return: 0.5, max_drawdown: 0.1 })
    expect(changed.body.metadata.cache_hit).toBe(false)
    expect(changed.body.metrics).toMatchObject({ total_return: 0.25, max_drawdown: 0.125 })
  })

  it('treats a missing catalog as one source fewer, and uses one that appears later', async () => {
    const scratch = mkdtempSync(path.join(tmpdir(), 'hewston-bff-nocat-'))
    cpSync(gen.data.root, scratch, { recursive: true })
    unlinkSync(path.join(scratch, 'data', 'catalog.sqlite'))
    writeFileSync(path.join(scratch, 'data', 'backtests', otherRun, 'metrics.json'), 'not json')
    const { bff: noCatalog } = await startBff(gen.backend.url, { root: scratch })
    try {
      const { status, body } = await get(noCatalog, otherRun, 'include_orders=false')
      expect(status).toBe(200)
      expect(body.metadata.sources.metrics).toBe('computed')
      expect(body.metadata.failed_sources).toEqual([])
      const list = (await (await fetch(`${noCatalog.url}/api/v1/runs`)).json()) as { metadata: { enriched: boolean } }
      expect(list.metadata.enriched).toBe(false)
      // A catalog that appears later is picked up without a restart.
      cpSync(path.join(gen.data.root, 'data', 'catalog.sqlite'), path.join(scratch, 'data', 'catalog.sqlite'))
      const later = (await (await fetch(`${noCatalog.url}/api/v1/runs`)).json()) as { metadata: { enriched: boolean } }
      expect(later.metadata.enriched).toBe(true)
    } finally {
      await noCatalog.close()
      rmSync(scratch, { recursive: true, force: true })
    }
  })

  it('single-flights 100 concurrent identical requests into one stream read', async () => {
    const before = gen.backend.stats.sseStreams
    const all = await Promise.all(
      Array.from({ length: 100 }, () => get(noRoot, otherRun, 'equity_points=300&include_fills=false', { cookie: 'sf=1' })),
    )
    expect(all.every((r) => r.status === 200)).toBe(true)
    expect(gen.backend.stats.sseStreams - before).toBe(1)
  })
})

describe('GET /api/v1/runs (enriched run list)', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let withCatalog: BffApp
  let without: BffApp
  beforeAll(async () => {
    gen = await startGeneratedBackend({ symbols: ['AAPL', 'MSFT'], seed: 43 })
    withCatalog = (await startBff(gen.backend.url, { root: gen.data.root })).bff
    without = (await startBff(gen.backend.url)).bff
  })
  afterAll(async () => {
    await withCatalog.close()
    await without.close()
    await gen.cleanup()
  })

  it("adds each item's catalog metrics with the upstream's filters and paging", async () => {
    const res = await fetch(`${withCatalog.url}/api/v1/runs?symbol=MSFT&limit=1&offset=1&order=created_at`)
    const body = (await res.json()) as {
      items: { run_id: string; metrics: { total_return: number } | null }[]
      total: number
      limit: number
      offset: number
      metadata: { enriched: boolean }
    }
    expect(body).toMatchObject({ total: 2, limit: 1, offset: 1, metadata: { enriched: true, metrics_source: 'catalog' } })
    const direct = (await (await fetch(`${gen.backend.url}/backtests?symbol=MSFT&limit=1&offset=1&order=created_at`)).json()) as {
      items: { run_id: string }[]
    }
    expect(body.items.map((i) => i.run_id)).toEqual(direct.items.map((i) => i.run_id))
    const run = gen.data.runs.find((r) => r.runId === body.items[0]?.run_id)
    expect(run).toBeDefined()
    expect(typeof body.items[0]?.metrics?.total_return).toBe('number')
  })

  it('comes back unenriched without a catalog and says so', async () => {
    const body = (await (await fetch(`${without.url}/api/v1/runs`)).json()) as {
      items: { metrics: unknown }[]
      metadata: { enriched: boolean; reason: string }
    }
    expect(body.items.length).toBe(4)
    expect(body.items.every((i) => i.metrics === null)).toBe(true)
    expect(body.metadata).toMatchObject({ enriched: false, reason: expect.stringMatching(/no catalog/) })
  })

  it('validates the filters like the proxy guard', async () => {
    const res = await fetch(`${withCatalog.url}/api/v1/runs?limit=abc&from=2024-13-01`)
    expect(res.status).toBe(422)
  })
})
