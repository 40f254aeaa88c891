import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type GenerateResult, generateWorkdir } from '../generate/generate.js'
import { ReferenceBackend } from '../server.js'

/** A reference backend on freshly generated data in a temp folder, for tests that need no shared fixtures. */
export async function startGeneratedBackend(options: { symbols?: string[]; years?: number[]; seed?: number } = {}): Promise<{
  backend: ReferenceBackend
  data: GenerateResult
  cleanup: () => Promise<void>
}> {
  const out = mkdtempSync(path.join(tmpdir(), 'hewston-test-'))
  const data = generateWorkdir({ out, symbols: options.symbols ?? ['AAPL'], years: options.years ?? [2024], seed: options.seed ?? 11 })
  const backend = await new ReferenceBackend({ root: out }).start()
  return {
    backend,
    data,
    cleanup: async () => {
      await backend.close()
      rmSync(out, { recursive: true, force: true })
    },
  }
}
