import { existsSync } from 'node:fs'
import type { DatabaseSync } from 'node:sqlite'
import type { CatalogMetrics, MetricsCatalog } from '@hewston-bff/core'

const COLUMNS =
  'run_id, total_return, cagr, max_drawdown, sharpe, sortino, hit_rate, avg_win, avg_loss, turnover, slippage_share, fees_paid, computed_at'

/**
 * The catalog's `run_metrics`, read-only with a busy timeout: the upstream rewrites a view in this file on
 * every request it serves, so a read can meet a brief lock. A missing catalog is not an error — it simply
 * has no metrics. Read with Node's built-in `node:sqlite` (no native addon to build).
 */
export class SqliteMetricsCatalog implements MetricsCatalog {
  private db: DatabaseSync | undefined

  constructor(
    private readonly file: string,
    private readonly busyTimeoutMs = 2000,
  ) {}

  private open(): DatabaseSync | undefined {
    if (this.db) return this.db
    if (!existsSync(this.file)) return undefined
    // Loaded on first use, not imported: see the CLI's ExperimentalWarning filter (sqlite-warning.ts).
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite')
    const db = new DatabaseSync(this.file, { readOnly: true })
    // A PRAGMA rather than the `timeout` constructor option, which only exists from Node 22.16.
    db.exec(`PRAGMA busy_timeout = ${Math.trunc(this.busyTimeoutMs)}`)
    this.db = db
    return db
  }

  async metrics(runId: string): Promise<CatalogMetrics | undefined> {
    const db = this.open()
    if (!db) return undefined
    const row = db.prepare(`SELECT ${COLUMNS} FROM run_metrics WHERE run_id = ?`).get(runId) as unknown as
      | (CatalogMetrics & { run_id: string })
      | undefined
    if (!row) return undefined
    const { run_id: _r, ...m } = row
    return { ...m }
  }

  /** Metrics of many runs in one query; throws when there is no catalog file (yet), so callers can say so. */
  async metricsFor(runIds: readonly string[]): Promise<Map<string, CatalogMetrics>> {
    const out = new Map<string, CatalogMetrics>()
    const db = this.open()
    if (!db) throw new Error(`no catalog at ${this.file}`)
    if (runIds.length === 0) return out
    const rows = db
      .prepare(`SELECT ${COLUMNS} FROM run_metrics WHERE run_id IN (${runIds.map(() => '?').join(',')})`)
      .all(...runIds) as unknown as (CatalogMetrics & { run_id: string })[]
    for (const { run_id, ...m } of rows) out.set(run_id, m)
    return out
  }

  async minuteBarsPath(datasetId: string): Promise<string | undefined> {
    const db = this.open()
    if (!db) return undefined
    const row = db.prepare('SELECT bars_parquet_json FROM datasets WHERE dataset_id = ?').get(datasetId) as unknown as
      | { bars_parquet_json: string }
      | undefined
    if (!row) return undefined
    try {
      const paths = JSON.parse(row.bars_parquet_json) as unknown
      return Array.isArray(paths) ? (paths.filter((p) => String(p).endsWith('bars_1Min.parquet')).at(-1) as string | undefined) : undefined
    } catch {
      return undefined
    }
  }

  close(): void {
    this.db?.close()
    this.db = undefined
  }
}
