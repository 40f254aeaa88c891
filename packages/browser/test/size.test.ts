import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { repoRoot } from '@hewston-bff/reference-backend/testing'
import { build, type Rolldown } from 'vite'
import { describe, expect, it } from 'vitest'

/**
 * What the SDK weighs in an app: real Vite builds of three consumer apps (`size-apps/`) against the built
 * packages, as an app installs them. Budgets (gzip): the frontend's drop-ins alone ≤ 10 KB; the whole
 * client's initial chunks ≤ 20 KB; the React player ≤ 20 KB (React itself is the app's). Direct mode is an
 * on-demand chunk, reported. The prebuilt single-file bundle ≤ 60 KB. Figures go to
 * `test-output/sizes.json` and the test's output.
 */
const KB = 1024
const apps = path.join(repoRoot(), 'packages/browser/test/size-apps')

interface AppSize {
  /** Gzip bytes of what the page loads at start: the entry chunk and the chunks it imports statically. */
  initial: number
  /** Gzip bytes of chunks loaded by `import()` (direct mode), by file. */
  onDemand: Record<string, number>
}

async function sizeOf(entry: string): Promise<AppSize> {
  const result = await build({
    root: apps,
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      rollupOptions: { input: path.join(apps, entry), external: ['react', 'react/jsx-runtime', 'react-dom/client'] },
    },
  })
  const chunks = (Array.isArray(result) ? result : [result as Rolldown.RolldownOutput])
    .flatMap((o) => o.output)
    .filter((c): c is Rolldown.OutputChunk => c.type === 'chunk')
  const byName = new Map(chunks.map((c) => [c.fileName, c]))
  const gz = (c: Rolldown.OutputChunk) => gzipSync(c.code).length
  const initial = new Set<string>()
  const visit = (name: string) => {
    if (initial.has(name) || !byName.has(name)) return // externals (React) are the app's
    initial.add(name)
    for (const i of byName.get(name)?.imports ?? []) visit(i)
  }
  for (const c of chunks) if (c.isEntry) visit(c.fileName)
  return {
    initial: [...initial].reduce((sum, n) => sum + gz(byName.get(n) as Rolldown.OutputChunk), 0),
    onDemand: Object.fromEntries(chunks.filter((c) => !initial.has(c.fileName)).map((c) => [c.name, gz(c)])),
  }
}

describe('what the SDK weighs in an app (Vite builds, gzip)', () => {
  const report: Record<string, unknown> = {}

  it('costs at most 10 KB for the drop-ins alone (@hewston-bff/browser/compat), direct mode on demand', async () => {
    const size = await sizeOf('drop-ins.ts')
    report.dropIns = size
    console.log(`drop-ins: initial ${(size.initial / KB).toFixed(1)} KB gzip; on demand ${JSON.stringify(size.onDemand)}`)
    expect(size.initial).toBeLessThanOrEqual(10 * KB)
  }, 60_000)

  it('costs at most 20 KB initially for the whole client, with direct mode as a chunk loaded on demand', async () => {
    const size = await sizeOf('full-client.ts')
    report.fullClient = size
    console.log(`full client: initial ${(size.initial / KB).toFixed(1)} KB gzip; on demand ${JSON.stringify(size.onDemand)}`)
    expect(size.initial).toBeLessThanOrEqual(20 * KB)
    // Direct mode (core's services, ky, the schemas) is not in the initial chunks, but is one import() away.
    expect(Object.keys(size.onDemand).some((n) => n.startsWith('direct'))).toBe(true)
  }, 60_000)

  it('costs at most 20 KB for a React player on useRunPlayback (@hewston-bff/browser/react)', async () => {
    const size = await sizeOf('react-hook.tsx')
    report.reactPlayer = size
    console.log(`react player: initial ${(size.initial / KB).toFixed(1)} KB gzip; on demand ${JSON.stringify(size.onDemand)}`)
    expect(size.initial).toBeLessThanOrEqual(20 * KB)
  }, 60_000)

  it('keeps the prebuilt single-file bundle within 60 KB', () => {
    const file = path.join(repoRoot(), 'packages/browser/dist/bundle/hewston-bff.browser.js')
    const bundle = gzipSync(readFileSync(file)).length
    report.prebuiltBundle = bundle
    console.log(`prebuilt bundle: ${(bundle / KB).toFixed(1)} KB gzip`)
    expect(readFileSync(file, 'utf8')).not.toMatch(/\bimport\(/) // one file: nothing loaded from elsewhere
    expect(bundle).toBeLessThanOrEqual(60 * KB)
    const out = path.join(repoRoot(), 'test-output')
    mkdirSync(out, { recursive: true })
    writeFileSync(path.join(out, 'sizes.json'), `${JSON.stringify(report, null, 2)}\n`)
  })
})
