import { createHash, randomBytes } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import type { Workdir } from '../data/workdir.js'
import { json, type Reply, Unhandled } from '../http/reply.js'
import { PyFloat, type PyValue, pyLoads } from '../py-json.js'
import { intParam, pyInt, QueryErrors } from '../py-params.js'

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v))

interface RunWindow {
  from?: string
  to?: string
}

/** The run window from `run-manifest.json` (`from`/`to`, `run_from`/`run_to` or `from_date`/`to_date`). */
async function manifestWindow(wd: Workdir, manifestPath: string): Promise<{ exists: boolean; window: RunWindow }> {
  const text = await wd.readText(manifestPath)
  if (text === undefined) return { exists: false, window: {} }
  try {
    const m = JSON.parse(text) as Record<string, unknown>
    const pick = (...keys: string[]) => {
      for (const k of keys) if (typeof m[k] === 'string') return m[k] as string
      return undefined
    }
    return { exists: true, window: { from: pick('from', 'run_from', 'from_date'), to: pick('to', 'run_to', 'to_date') } }
  } catch {
    return { exists: true, window: {} }
  }
}

/** `GET /backtests` */
export async function listBacktests(q: URLSearchParams, wd: Workdir): Promise<Reply> {
  const errors = new QueryErrors()
  const limit = clamp(intParam(q, 'limit', errors, 20), 1, 500)
  const offset = Math.max(0, intParam(q, 'offset', errors, 0))
  if (errors.failed) return json(422, { detail: errors.items as never })
  const order = q.get('order')
  let result: ReturnType<Workdir['catalog']['listRuns']>
  try {
    result = wd.catalog.listRuns({
      symbol: q.get('symbol') ?? undefined,
      strategyId: q.get('strategy_id') ?? undefined,
      from: q.get('from') ?? undefined,
      to: q.get('to') ?? undefined,
      ascending: order === 'created_at',
      limit,
      offset,
    })
  } catch {
    // The upstream answers an empty page when its catalog query fails.
    return json(200, { items: [], total: 0, limit, offset })
  }
  const items: PyValue[] = []
  for (const row of result.rows) {
    const { window } = await manifestWindow(wd, row.run_manifest_path)
    items.push({
      run_id: row.run_id,
      created_at: row.created_at,
      strategy_id: row.strategy_id,
      status: row.status,
      symbol: row.symbol,
      run_from: window.from ?? row.from_date,
      run_to: window.to ?? row.to_date,
      duration_ms: row.duration_ms,
    })
  }
  return json(200, { items, total: result.total, limit, offset })
}

/** `GET /backtests/{run_id}` */
export async function getBacktest(runId: string, wd: Workdir): Promise<Reply> {
  const run = wd.catalog.getRun(runId)
  if (!run) return json(404, { error: { code: 'RUN_NOT_FOUND', message: `Run ${runId} not found` } })
  const { exists, window } = await manifestWindow(wd, run.run_manifest_path)
  const body: Record<string, PyValue | undefined> = {
    run_id: run.run_id,
    dataset_id: run.dataset_id,
    strategy_id: run.strategy_id,
    params: safeLoads(run.params_json),
    seed: run.seed,
    slippage_fees: safeLoads(run.slippage_fees_json),
    speed: run.speed,
    code_hash: run.code_hash,
    created_at: run.created_at,
    status: run.status,
    duration_ms: run.duration_ms,
    artifacts: {
      metrics_path: run.metrics_path,
      equity_path: run.equity_path,
      orders_path: run.orders_path,
      fills_path: run.fills_path,
      run_manifest_path: run.run_manifest_path,
    },
    manifest: exists ? { path: run.run_manifest_path } : null,
    run_from: window.from,
    run_to: window.to,
  }
  return json(200, body)
}

function safeLoads(text: string): PyValue {
  try {
    return pyLoads(text)
  } catch {
    return {}
  }
}

/**
 * Runs created through `POST /backtests`, held in this process only (the reference backend never writes
 * the catalog). Stub ids behave exactly as upstream; real submissions get a 32-hex id and stay QUEUED.
 */
export class PendingRuns {
  readonly byKey = new Map<string, string>()
  readonly byInputHash = new Map<string, string>()
}

/** `POST /backtests` */
export async function createBacktest(req: IncomingMessage, body: Buffer, wd: Workdir, pending: PendingRuns): Promise<Reply> {
  const bad = (message: string) => json(400, { error: { code: 'BAD_REQUEST', message } })
  const text = body.toString('utf8')
  let parsed: PyValue = {}
  if (text.length > 0) {
    try {
      parsed = pyLoads(text)
    } catch {
      return bad('invalid JSON')
    }
  }
  const payload: Record<string, PyValue> =
    parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && !(parsed instanceof PyFloat)
      ? (parsed as Record<string, PyValue>)
      : {}
  const params = payload.params ?? {}
  const isObject = (v: PyValue) => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof PyFloat)
  if (!truthy(payload.strategy_id) || !isObject(params)) return bad('missing strategy_id/params')
  // int() of the seed and speed happens before the dataset check; a non-integer is an unhandled 500.
  pyIntOf(payload.seed, 42)
  pyIntOf(payload.speed, 60)

  const key = headerValue(req, 'idempotency-key')
  const hasDataset = truthy(payload.dataset_id) || (truthy(payload.symbol) && truthy(payload.year))
  if (!hasDataset) {
    if (!key) return bad('provide dataset_id or (symbol, year)')
    const existing = pending.byKey.get(key)
    if (existing) return json(200, { run_id: existing, status: 'EXISTS' })
    const id = `stub-${randomBytes(4).toString('hex')}`
    pending.byKey.set(key, id)
    return json(202, { run_id: id, status: 'QUEUED' })
  }
  if (key && pending.byKey.has(key)) return json(200, { run_id: pending.byKey.get(key) as string, status: 'EXISTS' })
  const datasetId = truthy(payload.dataset_id) ? String(payload.dataset_id) : `${payload.symbol}-${payload.year}-1m`
  if (!wd.catalog.getDataset(datasetId)) return bad(`dataset ${datasetId} not found`)
  const inputHash = createHash('sha256')
    .update(
      JSON.stringify(
        [datasetId, payload.strategy_id, params, payload.seed, payload.slippage_fees, payload.speed, payload.from, payload.to],
        (_k, v) => (typeof v === 'bigint' ? v.toString() : v instanceof PyFloat ? v.value : v),
      ),
    )
    .digest('hex')
  const byInput = pending.byInputHash.get(inputHash)
  if (byInput) return json(200, { run_id: byInput, status: 'EXISTS' })
  const id = randomBytes(16).toString('hex')
  pending.byInputHash.set(inputHash, id)
  if (key) pending.byKey.set(key, id)
  return json(202, { run_id: id, status: 'QUEUED' })
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** Python truthiness of a JSON value. */
function truthy(v: PyValue | undefined): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '' || v === 0n) return false
  if (v instanceof PyFloat) return v.value !== 0
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === 'object') return Object.keys(v).length > 0
  return true
}

/** Python `int(v)` for a JSON value; raises the upstream's unhandled 500 where Python raises. */
function pyIntOf(v: PyValue | undefined, fallback: number): number {
  if (v === undefined || v === null) {
    if (v === null) throw new Unhandled('int() argument must be a string or a number, not NoneType')
    return fallback
  }
  if (typeof v === 'number') return Math.trunc(v)
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'boolean') return v ? 1 : 0
  if (v instanceof PyFloat) {
    if (!Number.isFinite(v.value)) throw new Unhandled('cannot convert float to integer')
    return Math.trunc(v.value)
  }
  if (typeof v === 'string') {
    const n = pyInt(v)
    if (n === undefined) throw new Unhandled(`invalid literal for int() with base 10: '${v}'`)
    return n
  }
  throw new Unhandled('int() argument must be a string or a number')
}
