import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { parquetMetadata } from 'hyparquet'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GenerateResult, generateWorkdir, ReferenceBackend } from '../src/index.js'
import { sharedFixtures } from '../src/testing.js'

const schemaOf = (file: string) => {
  const buf = readFileSync(file)
  const md = parquetMetadata(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer)
  return md.schema.slice(1).map((s) => [s.name, s.type, s.logical_type?.type ?? s.converted_type ?? null])
}

describe('hewston-reference-backend generate', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'hewston-gen-'))
  let result: GenerateResult
  let backend: ReferenceBackend
  beforeAll(async () => {
    result = generateWorkdir({ out, symbols: ['AAPL', 'MSFT'], years: [2024], seed: 7 })
    backend = await new ReferenceBackend({ root: out }).start()
  })
  afterAll(async () => {
    await backend?.close()
    rmSync(out, { recursive: true, force: true })
  })

  it('is deterministic: the same seed writes the same bytes', () => {
    const again = mkdtempSync(path.join(tmpdir(), 'hewston-gen-'))
    try {
      generateWorkdir({ out: again, symbols: ['AAPL', 'MSFT'], years: [2024], seed: 7 })
      for (const rel of [
        'data/derived/bars/AAPL/2024/bars_1Min.parquet',
        `data/backtests/${result.runs[0]?.runId}/equity.parquet`,
        'data/catalog.sqlite',
      ]) {
        expect(readFileSync(path.join(again, rel)).equals(readFileSync(path.join(out, rel)))).toBe(true)
      }
    } finally {
      rmSync(again, { recursive: true, force: true })
    }
  })

  const shared = sharedFixtures('generator schema check against the real data')
  it.skipIf(!shared)("writes Parquet files with the real files' schemas", () => {
    const real = (rel: string) => schemaOf(path.join(shared?.dataRoot as string, 'data', rel))
    const gen = (rel: string) => schemaOf(path.join(out, 'data', rel))
    const realRun = 'backtests/2b6f388ab7e84859b914a8b425fd636c'
    const genRun = `backtests/${result.runs[0]?.runId}`
    expect(gen('derived/bars/AAPL/2024/bars_1Min.parquet')).toEqual(real('derived/bars/AAPL/2024/bars_1Min.parquet'))
    expect(gen('derived/bars/AAPL/2024/bars_1Day.parquet')).toEqual(real('derived/bars/AAPL/2024/bars_1Day.parquet'))
    for (const f of ['equity', 'orders', 'fills']) expect(gen(`${genRun}/${f}.parquet`)).toEqual(real(`${realRun}/${f}.parquet`))
  })

  it('builds a catalog with the upstream schema whose metrics match the artifacts', () => {
    const db = new DatabaseSync(path.join(out, 'data', 'catalog.sqlite'), { readOnly: true })
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','view') ORDER BY name").all()
      expect(tables.map((t) => (t as { name: string }).name)).toEqual(['datasets', 'run_metrics', 'runs', 'runs_list'])
      for (const run of result.runs) {
        const m = db.prepare('SELECT total_return, max_drawdown FROM run_metrics WHERE run_id = ?').get(run.runId)
        const file = JSON.parse(readFileSync(path.join(out, 'data', 'backtests', run.runId, 'metrics.json'), 'utf8'))
        expect(m).toEqual(file)
      }
    } finally {
      db.close()
    }
  })

  it('is served by the reference backend: list, detail, bars and a full SSE stream', async () => {
    const list = (await (await fetch(`${backend.url}/backtests?symbol=MSFT`)).json()) as { total: number }
    expect(list.total).toBe(2)
    const run = result.runs.find((r) => r.symbol === 'AAPL' && r.from === '2024-10-01')
    expect(run).toBeDefined()
    const detail = await (await fetch(`${backend.url}/backtests/${run?.runId}`)).json()
    expect(detail).toMatchObject({ run_id: run?.runId, status: 'DONE', run_from: '2024-10-01', run_to: '2024-12-31' })
    const week = (await (await fetch(`${backend.url}/bars/minute?symbol=AAPL&from=2024-12-02&to=2024-12-06`)).json()) as { bars: unknown[] }
    expect(week.bars).toHaveLength(5 * 390)
    const sse = await (await fetch(`${backend.url}/backtests/${run?.runId}/stream`)).text()
    const frames = sse.split('event: frame\n').length - 1
    expect(frames).toBe(run?.equityRows)
    expect(frames).toBe(92 * 1440) // one frame per minute of Oct..Dec, 24/7, like the real run
    expect(sse.endsWith('event: end\ndata: {}\n\n')).toBe(true)
    const orders = [...sse.matchAll(/"order_id": "o\d+"/g)].length
    expect(orders).toBe(run?.orders)
  })
})
