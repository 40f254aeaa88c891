// The packages as a user gets them: `npm pack`, installed from the tarballs alone into a project outside the
// workspace (no links), then used from plain Node ESM, through the installed bin, and type-checked.
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { freePort, repoRoot, startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const ROOT = repoRoot()
const PACKAGES = ['core', 'server', 'browser'] as const
/** The oldest zod the packages support (their peer range is ^4.1.0). */
const APP_ZOD = '4.1.13'
const npmCli = process.env.npm_execpath && /npm-cli\.js$/.test(process.env.npm_execpath) ? process.env.npm_execpath : undefined
const npm = (args: string[], cwd: string) =>
  npmCli ? run(process.execPath, [npmCli, ...args], { cwd, timeout: 180_000 }) : run('npm', args, { cwd, timeout: 180_000 })

/** The ```ts block of a package README: the example a user copies first. */
const readmeExample = (pkg: string) =>
  /```ts\n([\s\S]*?)```/.exec(readFileSync(path.join(ROOT, 'packages', pkg, 'README.md'), 'utf8'))?.[1] as string

describe('the published packages, installed from their tarballs alone', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hewston-consumer-'))
  let packed: { name: string; filename: string; files: { path: string }[] }[]
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 9 })
    const { stdout } = await npm(
      ['pack', ...PACKAGES.flatMap((p) => ['--workspace', `packages/${p}`]), '--pack-destination', dir, '--json'],
      ROOT,
    )
    packed = JSON.parse(stdout)
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({
        name: 'hewston-consumer',
        private: true,
        type: 'module',
        // The app's own zod, older than ours: the packages take it as a peer instead of bumping it.
        dependencies: { ...Object.fromEntries(packed.map((p) => [p.name, `file:./${p.filename}`])), zod: APP_ZOD },
      }),
    )
    await npm(['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock'], dir)
  }, 240_000)
  afterAll(async () => {
    await gen?.cleanup()
    rmSync(dir, { recursive: true, force: true })
  })

  it('ship LICENSE, README, package.json and their built files only (no sources, no tests)', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(['@hewston-bff/browser', '@hewston-bff/core', '@hewston-bff/server'])
    for (const p of packed) {
      const files = p.files.map((f) => f.path)
      expect(files).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts']))
      expect(files.filter((f) => !/^(dist|bin)\//.test(f) && !['LICENSE', 'README.md', 'package.json'].includes(f))).toEqual([])
      const manifest = JSON.parse(readFileSync(path.join(dir, 'node_modules', p.name, 'package.json'), 'utf8'))
      expect(manifest).toMatchObject({ license: 'MIT', main: './dist/index.js', types: './dist/index.d.ts' })
      expect(manifest.private).toBeUndefined()
      expect(manifest.repository.url).toMatch(/^git\+https:/)
      expect(manifest.keywords.length).toBeGreaterThan(3)
    }
    const server = packed.find((p) => p.name === '@hewston-bff/server')?.files.map((f) => f.path) ?? []
    expect(server).toEqual(
      expect.arrayContaining(['bin/hewston-bff.js', 'dist/demo/index.html', 'dist/demo/sdk.js', 'dist/demo/vendor/lightweight-charts.js']),
    )
    const serverManifest = JSON.parse(readFileSync(path.join(dir, 'node_modules/@hewston-bff/server/package.json'), 'utf8'))
    expect(serverManifest.dependencies['lightweight-charts']).toBeUndefined()
    const browserManifest = JSON.parse(readFileSync(path.join(dir, 'node_modules/@hewston-bff/browser/package.json'), 'utf8'))
    expect(browserManifest.engines?.node).toBeUndefined()
    expect(browserManifest.exports['./bundle'].types).toBe('./dist/index.d.ts')
  })

  it("use the app's zod (a peer, ^4.1): one copy in the tree, not bumped", async () => {
    const { stdout } = await npm(['ls', 'zod', '--all', '--json'], dir)
    const versions = new Set<string>()
    const walk = (node: { version?: string; dependencies?: Record<string, unknown> }, name?: string) => {
      if (name === 'zod' && node.version) versions.add(node.version)
      for (const [n, child] of Object.entries(node.dependencies ?? {})) walk(child as typeof node, n)
    }
    walk(JSON.parse(stdout))
    expect([...versions]).toEqual([APP_ZOD])
    for (const p of ['core', 'browser']) {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'node_modules/@hewston-bff', p, 'package.json'), 'utf8'))
      expect(manifest.peerDependencies.zod).toBe('^4.1.0')
      expect(manifest.dependencies?.zod).toBeUndefined()
    }
    // React is the browser package's only other peer, optional: only its /react entry imports it.
    const browser = JSON.parse(readFileSync(path.join(dir, 'node_modules/@hewston-bff/browser/package.json'), 'utf8'))
    expect(Object.keys(browser.peerDependencies).sort()).toEqual(['react', 'zod'])
    expect(browser.peerDependenciesMeta).toEqual({ react: { optional: true } })
  })

  it('core works from plain Node ESM against a backend', async () => {
    writeFileSync(
      path.join(dir, 'list-runs.mjs'),
      `import { createUpstreamClient } from '@hewston-bff/core'
const upstream = createUpstreamClient({ baseUrl: process.argv[2] })
const runs = await upstream.listBacktests({ limit: 100 })
console.log(runs.items.length + ' runs')
`,
    )
    const { stdout } = await run(process.execPath, ['list-runs.mjs', gen.backend.url], { cwd: dir })
    expect(stdout.trim()).toBe(`${gen.data.runs.length} runs`)
  })

  it('the installed hewston-bff bin serves /health and the demo from the package itself', async () => {
    const port = await freePort()
    const child = spawn(
      path.join(dir, 'node_modules/.bin/hewston-bff'),
      ['--backend', gen.backend.url, '--port', String(port), '--log-level', 'warn'],
      {
        cwd: dir,
        env: { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    )
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    try {
      const url = `http://127.0.0.1:${port}`
      const deadline = Date.now() + 20_000
      let health: Response | undefined
      while (!health && Date.now() < deadline) {
        health = await fetch(`${url}/health`).catch(() => undefined)
        if (!health) await new Promise((r) => setTimeout(r, 100))
      }
      expect(health?.status, stderr).toBe(200)
      const page = await fetch(`${url}/demo/`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<title>')
      for (const asset of ['demo.js', 'sdk.js', 'vendor/lightweight-charts.js'])
        expect((await fetch(`${url}/demo/${asset}`)).status).toBe(200)
      expect(stderr).not.toMatch(/demo not built|docs UI not built/)
      // The OpenAPI document and its UI, built with the app's (older) zod.
      expect(((await (await fetch(`${url}/api/v1/openapi.json`)).json()) as { openapi: string }).openapi).toBe('3.1.0')
      expect((await fetch(`${url}/api/v1/docs/swagger-ui-bundle.js`)).status).toBe(200)
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
    }
  })

  it.each(['bundler', 'node16'] as const)(
    'type-checks each README example and every subpath with moduleResolution %s, without skipLibCheck',
    async (resolution) => {
      const src = path.join(dir, `src-${resolution}`)
      mkdirSync(src, { recursive: true })
      for (const p of PACKAGES) writeFileSync(path.join(src, `${p}-readme.ts`), `${readmeExample(p)}\nexport {}\n`)
      writeFileSync(
        path.join(src, 'subpaths.ts'),
        `import { createHewstonClient as fromBundle } from '@hewston-bff/browser/bundle'
import { createHewstonClient } from '@hewston-bff/browser'
import { DailyResponseSchema, fetchDaily, type RunSummary } from '@hewston-bff/browser/compat'
import type { RunDetail } from '@hewston-bff/core'
import { createBffApp, defaultConfig, type BffApp } from '@hewston-bff/server'
const same: typeof createHewstonClient = fromBundle
const app: BffApp = createBffApp(defaultConfig({ backend: 'http://127.0.0.1:8000' }))
export const check: [typeof same, BffApp, RunDetail | undefined] = [same, app, undefined]
export const compat = async (): Promise<[number, RunSummary | undefined]> => [DailyResponseSchema.parse(await fetchDaily('AAPL')).bars.length, undefined]
`,
      )
      const module = resolution === 'bundler' ? 'esnext' : 'node16'
      writeFileSync(
        path.join(dir, `tsconfig.${resolution}.json`),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            target: 'es2022',
            lib: ['es2022', 'dom'],
            module,
            moduleResolution: resolution,
            skipLibCheck: false,
          },
          include: [`src-${resolution}/*.ts`],
        }),
      )
      const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc')
      const result = await run(process.execPath, [tsc, '-p', `tsconfig.${resolution}.json`], { cwd: dir }).catch(
        (e: { stdout: string }) => e,
      )
      expect(result.stdout).toBe('')
    },
    120_000,
  )
})
