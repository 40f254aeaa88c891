#!/usr/bin/env node
// `npm run bench` / `npm run drill`: runs a TypeScript entry point (bench/run.ts, drill/run.ts) with tsx,
// so the harnesses need no build step of their own. Usage: node scripts/run-ts.mjs <file.ts> [args…]
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkNodeVersion } from './lib/node-version.mjs'

checkNodeVersion(`npm run ${process.env.npm_lifecycle_event ?? path.basename(process.argv[2] ?? '', '.ts')}`)

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const [entry, ...args] = process.argv.slice(2)
if (!entry) {
  process.stderr.write('usage: node scripts/run-ts.mjs <file.ts> [args…]\n')
  process.exit(2)
}
const r = spawnSync(process.execPath, ['--import', 'tsx', path.resolve(root, entry), ...args], { cwd: root, stdio: 'inherit' })
process.exit(r.status ?? 1)
