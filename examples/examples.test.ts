import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import type { ReferenceBackend } from '@hewston-bff/reference-backend'
import { repoRoot, startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)

describe('examples run against the reference backend', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    ;({ backend, cleanup } = await startGeneratedBackend({ seed: 4 }))
  })
  afterAll(async () => cleanup())
  const example = (name: string, args: string[]) =>
    run(process.execPath, ['--import', 'tsx', path.join(repoRoot(), 'examples', name), ...args], { cwd: repoRoot(), timeout: 60_000 })

  it('chart-data.ts prints a decimated chart summary using core alone', async () => {
    const { stdout } = await example('chart-data.ts', ['--backend', backend.url, '--symbol', 'AAPL', '--from', '2024-01-01', '--to', '2024-12-31', '--target', '2000'])
    expect(stdout).toMatch(/^AAPL 1M_DECIMATED 2024-01-01\.\.2024-12-31/)
    expect(stdout).toMatch(/bars: \d+ of \d+ \(decimated to \d+-minute buckets\)/)
    expect(stdout).toMatch(/upstream calls: 12/)
  })

  it('chart-data.ts reports bad input clearly and exits 1', async () => {
    const err = (await example('chart-data.ts', ['--backend', backend.url, '--from', '2024-13-01']).catch((e) => e)) as { code: number; stderr: string }
    expect(err.code).toBe(1)
    expect(err.stderr).toMatch(/^VALIDATION: invalid chart-data query .*from_date/)
  })
})
