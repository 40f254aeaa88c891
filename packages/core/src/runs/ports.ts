/** A decoded table: columns in file order and rows as objects (timestamps as Date or ISO strings). */
export interface ArtifactTable {
  columns: string[]
  rows: Record<string, unknown>[]
}

/** Size and modification time of an artifact, for cache versioning. */
export interface ArtifactStat {
  size: number
  mtimeMs: number
}

/**
 * The ArtifactSource port: read-only access to a run's artifacts at the paths the upstream named
 * (relative to the Hewston working directory). Implementations confine every path to their root and
 * throw {@link ArtifactError}s; the server's is file-system based, the browser has none.
 */
export interface ArtifactSource {
  stat(path: string): Promise<ArtifactStat | undefined>
  readJson(path: string): Promise<unknown>
  readTable(path: string): Promise<ArtifactTable>
}

/** Metrics as the catalog's `run_metrics` holds them (nulls where unknown). */
export interface CatalogMetrics {
  total_return: number | null
  cagr: number | null
  max_drawdown: number | null
  sharpe: number | null
  sortino: number | null
  hit_rate: number | null
  avg_win: number | null
  avg_loss: number | null
  turnover: number | null
  slippage_share: number | null
  fees_paid: number | null
  computed_at: string
}

/** The MetricsCatalog port: the SQLite catalog's `run_metrics`, read-only. */
export interface MetricsCatalog {
  metrics(runId: string): Promise<CatalogMetrics | undefined>
  /** Metrics of many runs in one query (no N+1). */
  metricsFor(runIds: readonly string[]): Promise<Map<string, CatalogMetrics>>
  /** The minute-bars file of a dataset (`bars_parquet_json`'s `…bars_1Min.parquet` entry), as the streamer uses. */
  minuteBarsPath?(datasetId: string): Promise<string | undefined>
}
