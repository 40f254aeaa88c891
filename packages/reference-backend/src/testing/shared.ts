import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where the shared fixtures live (goldens, the real data subset). Tests find them via
 * `HEWSTON_SHARED_DIR` (default `../shared` next to the repository). A user's clone may not have them:
 * tests then skip with a visible notice — but under `CI=true` their absence is a failure.
 */
export interface SharedFixtures {
  dir: string
  goldenDir: string
  /** The Hewston working directory with the real data (`<dir>/hewston-data`). */
  dataRoot: string
}

/** The repository root: the nearest folder above this module whose package.json declares workspaces. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const manifest = path.join(dir, 'package.json')
    if (existsSync(manifest) && 'workspaces' in JSON.parse(readFileSync(manifest, 'utf8'))) return dir
    const parent = path.dirname(dir)
    if (parent === dir) return process.cwd()
    dir = parent
  }
}

const warned = new Set<string>()

/**
 * The shared fixtures, or undefined (after printing why) when they are absent outside CI.
 * @throws under `CI=true` when they are absent.
 */
export function sharedFixtures(suite: string): SharedFixtures | undefined {
  const dir = path.resolve(repoRoot(), process.env.HEWSTON_SHARED_DIR ?? '../shared')
  const fixtures = { dir, goldenDir: path.join(dir, 'hewston-golden'), dataRoot: path.join(dir, 'hewston-data') }
  if (existsSync(path.join(fixtures.goldenDir, 'index.json')) && existsSync(path.join(fixtures.dataRoot, 'data', 'catalog.sqlite'))) {
    return fixtures
  }
  const why = `shared fixtures not found at ${dir} (set HEWSTON_SHARED_DIR)`
  if (process.env.CI === 'true') throw new Error(`${suite}: ${why}; they are required under CI=true`)
  if (!warned.has(suite)) {
    warned.add(suite)
    console.warn(`\n  NOTICE: skipping "${suite}": ${why}.\n`)
  }
  return undefined
}
