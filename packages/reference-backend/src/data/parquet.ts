import { readFile, stat } from 'node:fs/promises'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'

/** A decoded Parquet file: its rows plus the column names and physical types in file order. */
export interface ParquetTable {
  columns: { name: string; type: string | undefined; timestamp: boolean }[]
  rows: Record<string, unknown>[]
}

interface CacheEntry {
  key: string
  value: Promise<unknown>
}

/**
 * Reads Parquet files (zstd/snappy, as Polars writes them) and keeps the last few decoded files, keyed by
 * path + mtime + size, so that a file replaced on disk is read again. The upstream re-reads on every
 * request; caching only changes timing, never content.
 */
export class ParquetReader {
  private readonly cache = new Map<string, CacheEntry>()
  constructor(private readonly maxEntries = 16) {}

  read(path: string): Promise<ParquetTable> {
    return this.readAs(path, 'table', (t) => t)
  }

  /** Decodes `path` and caches `transform`'s result under `kind` (one cache slot per path and kind). */
  async readAs<T>(path: string, kind: string, transform: (table: ParquetTable) => T): Promise<T> {
    const st = await stat(path)
    const key = `${st.mtimeMs}:${st.size}`
    const slot = `${kind}\0${path}`
    const hit = this.cache.get(slot)
    if (hit && hit.key === key) {
      this.cache.delete(slot)
      this.cache.set(slot, hit)
      return hit.value as Promise<T>
    }
    const value = decode(path).then(transform)
    this.cache.set(slot, { key, value })
    value.catch(() => this.cache.delete(slot))
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value as string
      this.cache.delete(oldest)
    }
    return value
  }
}

async function decode(path: string): Promise<ParquetTable> {
  const buf = await readFile(path)
  const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer
  const metadata = parquetMetadata(file)
  const columns = metadata.schema.slice(1).map((el) => ({
    name: el.name,
    type: el.type as string | undefined,
    timestamp:
      el.logical_type?.type === 'TIMESTAMP' || el.converted_type === 'TIMESTAMP_MILLIS' || el.converted_type === 'TIMESTAMP_MICROS',
  }))
  const rows = (await parquetReadObjects({ file, metadata, compressors })) as Record<string, unknown>[]
  return { columns, rows }
}

/** `2024-12-30T14:30:00Z`: ISO-8601 UTC at second precision, as the upstream prints timestamps. */
export function isoZ(value: unknown): string {
  if (value instanceof Date) return `${value.toISOString().slice(0, 19)}Z`
  if (typeof value === 'string') {
    // String timestamps (the 2023 runs) are normalised like the upstream's _norm_ts.
    const ms = Date.parse(value)
    return Number.isNaN(ms) ? value : `${new Date(ms).toISOString().slice(0, 19)}Z`
  }
  if (typeof value === 'bigint') return `${new Date(Number(value / 1_000_000n)).toISOString().slice(0, 19)}Z`
  if (typeof value === 'number') return `${new Date(value).toISOString().slice(0, 19)}Z`
  return String(value)
}

/** Milliseconds since the epoch for a timestamp cell (Date, ISO string or ns bigint). */
export function epochMs(value: unknown): number {
  if (value instanceof Date) return value.getTime()
  if (typeof value === 'string') return Date.parse(value)
  if (typeof value === 'bigint') return Number(value / 1_000_000n)
  return Number(value)
}
