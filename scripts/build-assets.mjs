#!/usr/bin/env node
// Part of `npm run build`, after tsup: puts the browser assets the server serves into its own package, so
// an installed @hewston-bff/server needs nothing else at run time:
//   dist/demo/     the demo page (examples/browser-demo), the SDK bundle and lightweight-charts
//   dist/docs-ui/  Swagger UI's bundle and stylesheet for /api/v1/docs (no CDN), with its license
// lightweight-charts and swagger-ui-dist are build-time dependencies only.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dist = path.join(root, 'packages/server/dist')
const packageDir = (name) => path.dirname(createRequire(import.meta.url).resolve(`${name}/package.json`))

const copies = [
  [path.join(root, 'packages/browser/dist/bundle/hewston-bff.browser.js'), 'demo/sdk.js'],
  [path.join(packageDir('lightweight-charts'), 'dist/lightweight-charts.standalone.production.js'), 'demo/vendor/lightweight-charts.js'],
  [path.join(packageDir('swagger-ui-dist'), 'swagger-ui-bundle.js'), 'docs-ui/swagger-ui-bundle.js'],
  [path.join(packageDir('swagger-ui-dist'), 'swagger-ui.css'), 'docs-ui/swagger-ui.css'],
  [path.join(packageDir('swagger-ui-dist'), 'LICENSE'), 'docs-ui/LICENSE'],
  [path.join(packageDir('swagger-ui-dist'), 'NOTICE'), 'docs-ui/NOTICE'],
]
for (const [from] of copies) {
  if (!existsSync(from)) {
    process.stderr.write(`build-assets: ${path.relative(root, from)} is missing (run tsup first, and npm ci)\n`)
    process.exit(1)
  }
}
for (const dir of ['demo', 'docs-ui']) rmSync(path.join(dist, dir), { recursive: true, force: true })
mkdirSync(path.join(dist, 'demo/vendor'), { recursive: true })
mkdirSync(path.join(dist, 'docs-ui'), { recursive: true })
cpSync(path.join(root, 'examples/browser-demo'), path.join(dist, 'demo'), { recursive: true, filter: (src) => !src.endsWith('.test.ts') })
for (const [from, to] of copies) cpSync(from, path.join(dist, to))
