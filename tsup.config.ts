import { readFileSync } from 'node:fs'
import { defineConfig, type Options } from 'tsup'

/**
 * One build for every package: ESM + type declarations into each package's dist/. Dependencies stay
 * external (tsup reads each package's package.json for that); the browser package is also bundled whole
 * for <script type="module"> use.
 */
const dependenciesOf = (name: string): (string | RegExp)[] => {
  const manifest = JSON.parse(readFileSync(`packages/${name}/package.json`, 'utf8'))
  const names = Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })
  return [...names, ...names.map((n) => new RegExp(`^${n}/`)), /^@hewston-bff\//]
}

const pkg = (name: string, entry: Record<string, string>, extra: Partial<Options> = {}): Options => ({
  name,
  external: dependenciesOf(name),
  entry: Object.fromEntries(Object.entries(entry).map(([k, v]) => [k, `packages/${name}/src/${v}`])),
  outDir: `packages/${name}/dist`,
  format: ['esm'],
  target: 'node22',
  platform: 'node',
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: false,
  tsconfig: 'tsconfig.build.json',
  ...extra,
})

/**
 * Core and the browser SDK are emitted file by file (`bundle: false`), as their sources are: with
 * `sideEffects: false`, an app's bundler then drops every module the app does not reach (a single-file
 * dist would keep each schema and service, since calls at a module's top level count as side effects).
 */
const fileByFile = (name: string, publicEntries: string[], extra: Partial<Options>): Options => ({
  ...pkg(name, {}, extra),
  entry: [`packages/${name}/src/**/*.ts`, '!**/*.test.ts'],
  bundle: false,
  dts: { entry: Object.fromEntries(publicEntries.map((e) => [e, `packages/${name}/src/${e}.ts`])) },
})

export default defineConfig([
  fileByFile('core', ['index'], { platform: 'neutral', target: 'es2022' }),
  // Cleans only its own files: dist/bundle/ belongs to the bundle build running alongside.
  fileByFile('browser', ['index', 'compat', 'react'], {
    platform: 'browser',
    target: 'es2022',
    clean: ['**/*.js', '**/*.js.map', '**/*.d.ts', '!bundle/**'],
  }),
  // The same SDK as one self-contained ES module for <script type="module"> and size reporting.
  {
    name: 'browser-bundle',
    entry: { 'hewston-bff.browser': 'packages/browser/src/index.ts' },
    outDir: 'packages/browser/dist/bundle',
    clean: true,
    format: ['esm'],
    platform: 'browser',
    target: 'es2022',
    noExternal: [/.*/],
    // One file: direct mode, loaded on demand in app builds, is inlined here.
    splitting: false,
    minify: true,
    sourcemap: true,
    treeshake: true,
    tsconfig: 'tsconfig.build.json',
  },
  pkg('server', { index: 'index.ts', cli: 'cli.ts' }, { dts: { entry: { index: 'packages/server/src/index.ts' } } }),
  pkg(
    'reference-backend',
    { index: 'index.ts', testing: 'testing.ts', cli: 'cli.ts' },
    { dts: { entry: { index: 'packages/reference-backend/src/index.ts', testing: 'packages/reference-backend/src/testing.ts' } } },
  ),
])
