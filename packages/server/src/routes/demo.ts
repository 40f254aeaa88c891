import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import express, { type Router } from 'express'

/** `dist/<name>` of this package (from dist/index.js or src/routes/*.ts up to the package root), if it exists. */
export function packageDist(name: string): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir)
    if (up === dir) return undefined
    dir = up
  }
  const out = path.join(dir, 'dist', name)
  return existsSync(out) ? out : undefined
}

/**
 * Where the demo lives: `dist/demo/` of this package (the build puts the page, the SDK bundle and
 * lightweight-charts there, so an installed package serves it on its own). Undefined when not built.
 */
export function demoDir(): string | undefined {
  const demo = packageDist('demo')
  return demo && ['index.html', 'demo.js', 'sdk.js', 'vendor/lightweight-charts.js'].every((f) => existsSync(path.join(demo, f)))
    ? demo
    : undefined
}

/** `/demo/`: the browser demo page with the SDK bundle it imports and lightweight-charts. */
export function demoRouter(dir: string): Router {
  const router = express.Router()
  router.use(express.static(dir, { index: 'index.html' }))
  return router
}
