import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../../..')
const biome = path.join(path.dirname(createRequire(import.meta.url).resolve('@biomejs/biome/package.json')), 'bin/biome')

/** What host-only code looks like, in every form a lint rule could miss. */
const PROBE = `import 'node:fs'
import { createHash } from 'node:crypto'
import express from 'express'
export const lazy = () => import('ioredis')
export const env = process.env.HOME
export const bytes = Buffer.from('x')
export { createHash, express }
`

describe('the core/browser boundary is enforced by the linter the test command runs', () => {
  // The project's own lint configuration, applied to probe files laid out like the repository.
  const dir = mkdtempSync(path.join(tmpdir(), 'hewston-boundary-'))
  const config = JSON.parse(readFileSync(path.join(ROOT, 'biome.json'), 'utf8'))
  delete config.$schema
  delete config.vcs
  writeFileSync(path.join(dir, 'biome.json'), JSON.stringify(config))
  for (const pkg of ['core', 'browser', 'server']) {
    mkdirSync(path.join(dir, 'packages', pkg, 'src'), { recursive: true })
    writeFileSync(path.join(dir, 'packages', pkg, 'src', 'probe.ts'), PROBE)
  }
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const diagnostics = (): { path: string; category: string }[] => {
    let out: string
    try {
      out = execFileSync(process.execPath, [biome, 'lint', '--colors=off', '--reporter=json', '.'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
    } catch (err) {
      out = (err as { stdout: string }).stdout
    }
    const report = JSON.parse(out) as { diagnostics: { location: { path: string }; category: string }[] }
    return report.diagnostics.map((d) => ({ path: d.location.path, category: d.category }))
  }

  it('rejects node:* (static, side-effect and dynamic), server libraries and Node globals in core and browser, not in the server', () => {
    const found = diagnostics()
    for (const pkg of ['core', 'browser']) {
      const mine = found.filter((d) => d.path === `packages/${pkg}/src/probe.ts`)
      expect(
        mine.filter((d) => d.category === 'lint/style/noRestrictedImports'),
        pkg,
      ).toHaveLength(4)
      expect(
        mine.filter((d) => d.category === 'lint/style/noRestrictedGlobals'),
        pkg,
      ).toHaveLength(2)
    }
    expect(found.filter((d) => d.path.startsWith('packages/server/'))).toEqual([])
  })
})
