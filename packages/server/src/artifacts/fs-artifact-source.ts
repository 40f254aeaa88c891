import { existsSync, realpathSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import path from 'node:path'
import { ArtifactError, type ArtifactSource, type ArtifactStat, type ArtifactTable } from '@hewston-bff/core'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'

/**
 * Run artifacts on disk under the configured Hewston working directory, read-only. Every path is resolved
 * under the root and refused when it escapes it — lexically (`..`, absolute paths) or through symlinks.
 * Parquet is decoded with hyparquet (+ zstd/snappy decompressors, as Polars writes it).
 */
export class FsArtifactSource implements ArtifactSource {
  private readonly root: string

  constructor(root: string) {
    this.root = realpathSync(path.resolve(root))
  }

  /** The absolute path of `relative`, or a PATH_OUTSIDE_ROOT / ARTIFACT_MISSING error. */
  resolve(relative: string): string {
    const abs = path.resolve(this.root, relative)
    if (!inside(this.root, abs)) throw new ArtifactError('PATH_OUTSIDE_ROOT', relative, `artifact path ${relative} escapes the root`)
    if (!existsSync(abs)) throw new ArtifactError('ARTIFACT_MISSING', relative, `artifact ${relative} does not exist`)
    const real = realpathSync(abs)
    if (!inside(this.root, real)) throw new ArtifactError('PATH_OUTSIDE_ROOT', relative, `artifact ${relative} links outside the root`)
    return real
  }

  async stat(relative: string): Promise<ArtifactStat | undefined> {
    try {
      const st = await stat(this.resolve(relative))
      return { size: st.size, mtimeMs: st.mtimeMs }
    } catch {
      return undefined
    }
  }

  async readJson(relative: string): Promise<unknown> {
    const text = await readFile(this.resolve(relative), 'utf8')
    try {
      return JSON.parse(text)
    } catch (err) {
      throw new ArtifactError('ARTIFACT_UNREADABLE', relative, `${relative} is not valid JSON: ${(err as Error).message}`)
    }
  }

  async readTable(relative: string): Promise<ArtifactTable> {
    const buf = await readFile(this.resolve(relative))
    try {
      const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer
      const metadata = parquetMetadata(file)
      const columns = metadata.schema.slice(1).map((s) => s.name)
      const rows = (await parquetReadObjects({ file, metadata, compressors })) as Record<string, unknown>[]
      for (const row of rows) for (const c of columns) if (typeof row[c] === 'bigint') row[c] = Number(row[c])
      return { columns, rows }
    } catch (err) {
      throw new ArtifactError('ARTIFACT_UNREADABLE', relative, `${relative} is not a readable Parquet file: ${(err as Error).message}`)
    }
  }
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}
