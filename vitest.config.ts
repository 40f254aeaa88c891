import path from 'node:path'
import { defineConfig } from 'vitest/config'

const src = (pkg: string, file = 'index.ts') => path.resolve(import.meta.dirname, `packages/${pkg}/src/${file}`)

export default defineConfig({
  resolve: {
    // Tests run against the sources; only tests that spawn a CLI use the built dist/.
    alias: [
      { find: /^@hewston-bff\/reference-backend\/testing$/, replacement: src('reference-backend', 'testing.ts') },
      { find: /^@hewston-bff\/reference-backend$/, replacement: src('reference-backend') },
      { find: /^@hewston-bff\/core$/, replacement: src('core') },
      { find: /^@hewston-bff\/server$/, replacement: src('server') },
      { find: /^@hewston-bff\/browser$/, replacement: src('browser') },
    ],
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
