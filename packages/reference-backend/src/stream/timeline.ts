import { epochMs, isoZ } from '../data/parquet.js'
import type { Workdir } from '../data/workdir.js'
import { PyFloat, type PyValue, pyDumps, pyFloatRepr } from '../py-json.js'

/** A run's playback: one frame per row of its `equity.parquet`, as the upstream's streamer builds them. */
export interface Timeline {
  readonly length: number
  /** The frame at `index`, serialised exactly as the upstream sends it (Python `json.dumps` spacing). */
  frame(index: number): string
}

/** The streamer's failure, carried in-band as `STREAM_ERROR` with this message. */
/** The upstream streamer gives up on a run (unknown run, missing artifact): the text goes out as STREAM_ERROR. */
export class StreamFailure extends Error {}

const f = pyFloatRepr

/**
 * Loads a run's artifacts and returns its timeline. Mirrors the upstream streamer: the minute bar of the
 * run's dataset at each equity timestamp (`ohlc`, null when none), every order row at that timestamp with
 * all its columns in file order, and the equity point.
 */
export async function loadTimeline(wd: Workdir, runId: string): Promise<Timeline> {
  const run = wd.catalog.getRun(runId)
  if (!run) throw new StreamFailure(`run not found: ${runId}`)
  const artifact = (rel: string | null, what: string): string => {
    const p = rel ? wd.resolve(rel) : undefined
    if (!p) throw new StreamFailure(`${what} artifact missing for run ${runId}`)
    return p
  }
  const equity = await wd.parquet.read(artifact(run.equity_path, 'equity'))
  const orders = await wd.parquet.read(artifact(run.orders_path, 'orders'))

  // Minute bars of the run's dataset: the bars_parquet_json entry ending in bars_1Min.parquet.
  const ohlcByTs = new Map<number, string>()
  const dataset = wd.catalog.getDataset(run.dataset_id)
  if (dataset) {
    let paths: unknown = []
    try {
      paths = JSON.parse(dataset.bars_parquet_json)
    } catch {}
    const minute = Array.isArray(paths) ? (paths as string[]).filter((p) => String(p).endsWith('bars_1Min.parquet')).at(-1) : undefined
    const p = minute ? wd.resolve(minute) : undefined
    if (p) {
      try {
        const bars = await wd.parquet.read(p)
        for (const r of bars.rows) {
          ohlcByTs.set(
            epochMs(r.t),
            `{"o": ${f(Number(r.o))}, "h": ${f(Number(r.h))}, "l": ${f(Number(r.l))}, "c": ${f(Number(r.c))}, "v": ${Number(r.v)}}`,
          )
        }
      } catch {
        // No bars on disk for this dataset (the AAPL-2023 runs): every ohlc is null.
      }
    }
  }

  const ordersByTs = new Map<number, string[]>()
  for (const row of orders.rows) {
    const ts = epochMs(row.ts_utc)
    const obj: Record<string, PyValue> = {}
    for (const col of orders.columns) obj[col.name] = cell(row[col.name], col.type, col.timestamp)
    const list = ordersByTs.get(ts)
    const text = pyDumps(obj, { spaced: true, ensureAscii: true })
    if (list) list.push(text)
    else ordersByTs.set(ts, [text])
  }

  const rows = equity.rows
  return {
    length: rows.length,
    frame(index: number): string {
      const row = rows[index] as Record<string, unknown>
      const ms = epochMs(row.ts_utc)
      const ts = isoZ(row.ts_utc)
      const ohlc = ohlcByTs.get(ms) ?? 'null'
      const ords = ordersByTs.get(ms)
      const value = f(Number(row.value))
      return `{"t": "frame", "ts": "${ts}", "ohlc": ${ohlc}, "orders": [${ords ? ords.join(', ') : ''}], "equity": {"ts": "${ts}", "value": ${value}}, "dropped": 0}`
    },
  }
}

function cell(v: unknown, type: string | undefined, timestamp: boolean): PyValue {
  if (v === null || v === undefined) return null
  if (timestamp || v instanceof Date) return isoZ(v)
  if (type === 'DOUBLE' || type === 'FLOAT') return new PyFloat(Number(v))
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v
  return String(v)
}
