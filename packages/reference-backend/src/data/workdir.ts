import { existsSync, realpathSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { Catalog } from './catalog.js'
import { epochMs, isoZ, ParquetReader } from './parquet.js'

export interface Bar {
  /** Bar start, ms since the epoch (UTC). */
  t: number
  o: number
  h: number
  l: number
  c: number
  v: number
  n: number
}

export type BarTimeframe = '1Min' | '1Day'

/** Thrown when a Hewston working directory is missing or is not one. */
export class WorkdirError extends Error {
  readonly code = 'INVALID_ROOT'
}

/**
 * A Hewston working directory (the folder holding `data/`), read-only. Paths the catalog stores are
 * relative to it. Reads are confined to the folder: the upstream uses `symbol` verbatim as a folder name
 * (so `../bars/AAPL` works and we keep that), but nothing resolving outside the root is ever opened.
 */
export class Workdir {
  readonly root: string
  readonly catalog: Catalog
  readonly parquet = new ParquetReader()

  constructor(root: string) {
    const abs = path.resolve(root)
    if (!existsSync(abs)) throw new WorkdirError(`root ${abs} does not exist`)
    if (!existsSync(path.join(abs, 'data')))
      throw new WorkdirError(`root ${abs} has no data/ folder (expected a Hewston working directory)`)
    const catalogPath = path.join(abs, 'data', 'catalog.sqlite')
    if (!existsSync(catalogPath)) throw new WorkdirError(`root ${abs} has no data/catalog.sqlite`)
    this.root = realpathSync(abs)
    this.catalog = new Catalog(catalogPath)
  }

  /** Resolves a root-relative path; undefined when it would leave the root (`..`, absolute paths, symlinks). */
  resolve(relative: string): string | undefined {
    const abs = path.resolve(this.root, relative)
    if (!isInside(this.root, abs)) return undefined
    try {
      const real = realpathSync(abs)
      return isInside(this.root, real) ? real : undefined
    } catch {
      // Not there (yet): the lexical check above is all we can do, and opening it will fail anyway.
      return abs
    }
  }

  async readText(relative: string): Promise<string | undefined> {
    const p = this.resolve(relative)
    if (!p) return undefined
    try {
      return await readFile(p, 'utf8')
    } catch {
      return undefined
    }
  }

  /** Year folders on disk for a symbol, ascending. */
  async barYears(symbol: string): Promise<number[]> {
    const dir = this.resolve(path.join('data', 'derived', 'bars', symbol))
    if (!dir || symbol === '') return []
    try {
      const names = await readdir(dir)
      return names
        .filter((n) => /^\d{4}$/.test(n))
        .map(Number)
        .sort((a, b) => a - b)
    } catch {
      return []
    }
  }

  /** The bars of one symbol-year file, or undefined when that file is absent. */
  async bars(symbol: string, year: number, tf: BarTimeframe): Promise<Bar[] | undefined> {
    const p = this.resolve(path.join('data', 'derived', 'bars', symbol, String(year), `bars_${tf}.parquet`))
    if (!p || !existsSync(p)) return undefined
    return this.parquet.readAs(p, 'bars', (table) =>
      table.rows.map((r) => ({
        t: epochMs(r.t),
        o: Number(r.o),
        h: Number(r.h),
        l: Number(r.l),
        c: Number(r.c),
        v: Number(r.v),
        n: Number(r.n),
      })),
    )
  }
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

export { isoZ }
