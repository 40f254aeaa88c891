import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import express, { type Router } from 'express'

/** The repository root above this module (built in dist/ or run from src/). */
function repoRoot(): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'examples', 'browser-demo'))) return dir
    dir = path.dirname(dir)
  }
  return undefined
}

/** Where the demo's files live in this repository (undefined when any is missing, e.g. not built). */
export function demoFiles(): { dir: string; sdk: string; charts: string } | undefined {
  const root = repoRoot()
  if (!root) return undefined
  const dir = path.join(root, 'examples', 'browser-demo')
  const sdk = path.join(root, 'packages', 'browser', 'dist', 'bundle', 'hewston-bff.browser.js')
  let charts: string
  try {
    charts = path.join(
      path.dirname(createRequire(import.meta.url).resolve('lightweight-charts/package.json')),
      'dist',
      'lightweight-charts.standalone.production.js',
    )
  } catch {
    return undefined
  }
  return existsSync(dir) && existsSync(sdk) && existsSync(charts) ? { dir, sdk, charts } : undefined
}

/** `/demo/`: the browser demo page, the SDK bundle it imports and lightweight-charts. */
export function demoRouter(files: { dir: string; sdk: string; charts: string }): Router {
  const router = express.Router()
  router.get('/sdk.js', (_req, res) => res.type('text/javascript').sendFile(files.sdk))
  router.get('/vendor/lightweight-charts.js', (_req, res) => res.type('text/javascript').sendFile(files.charts))
  router.use(express.static(files.dir, { index: 'index.html' }))
  return router
}
