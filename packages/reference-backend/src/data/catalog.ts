import { type DatabaseSync, openSqlite } from './sqlite.js'

export interface RunRow {
  run_id: string
  dataset_id: string
  strategy_id: string
  params_json: string
  seed: number
  slippage_fees_json: string
  speed: number
  code_hash: string
  created_at: string
  status: string
  duration_ms: number | null
  metrics_path: string | null
  equity_path: string | null
  orders_path: string | null
  fills_path: string | null
  run_manifest_path: string
}

export interface ListRow {
  run_id: string
  created_at: string
  strategy_id: string
  status: string
  symbol: string | null
  from_date: string | null
  to_date: string | null
  duration_ms: number | null
  run_manifest_path: string
}

export interface ListFilter {
  symbol?: string
  strategyId?: string
  from?: string
  to?: string
  ascending: boolean
  limit: number
  offset: number
}

/**
 * The Hewston SQLite catalog, opened read-only. (The upstream rewrites its `runs_list` view on every
 * access; we query the same join directly so the file is never touched.)
 */
export class Catalog {
  private db: DatabaseSync | undefined
  constructor(private readonly path: string) {}

  private open(): DatabaseSync {
    if (!this.db) {
      this.db = openSqlite(this.path, { readOnly: true, busyTimeoutMs: 2000 })
    }
    return this.db
  }

  close(): void {
    this.db?.close()
    this.db = undefined
  }

  getRun(runId: string): RunRow | undefined {
    return this.open().prepare('SELECT * FROM runs WHERE run_id = ?').get(runId) as unknown as RunRow | undefined
  }

  getDataset(datasetId: string): { bars_parquet_json: string; from_date: string; to_date: string; symbol: string } | undefined {
    return this.open()
      .prepare('SELECT symbol, from_date, to_date, bars_parquet_json FROM datasets WHERE dataset_id = ?')
      .get(datasetId) as unknown as { bars_parquet_json: string; from_date: string; to_date: string; symbol: string } | undefined
  }

  listRuns(f: ListFilter): { rows: ListRow[]; total: number } {
    const where: string[] = []
    const args: string[] = []
    if (f.symbol !== undefined) {
      where.push('d.symbol = ?')
      args.push(f.symbol)
    }
    if (f.strategyId !== undefined) {
      where.push('r.strategy_id = ?')
      args.push(f.strategyId)
    }
    // Overlap with the *dataset* bounds, compared as strings, as the upstream does.
    if (f.from !== undefined) {
      where.push('d.to_date >= ?')
      args.push(f.from)
    }
    if (f.to !== undefined) {
      where.push('d.from_date <= ?')
      args.push(f.to)
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : ''
    const base = `FROM runs r LEFT JOIN datasets d ON d.dataset_id = r.dataset_id ${clause}`
    const db = this.open()
    const total = (db.prepare(`SELECT COUNT(*) AS n ${base}`).get(...args) as { n: number }).n
    const rows = db
      .prepare(
        `SELECT r.run_id, r.created_at, r.strategy_id, r.status, d.symbol, d.from_date, d.to_date, r.duration_ms,
                r.run_manifest_path
         ${base} ORDER BY r.created_at ${f.ascending ? 'ASC' : 'DESC'} LIMIT ? OFFSET ?`,
      )
      .all(...args, f.limit, f.offset) as unknown as ListRow[]
    return { rows, total }
  }
}
