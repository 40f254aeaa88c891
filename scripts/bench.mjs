#!/usr/bin/env node
// `npm run bench`: runs bench/run.ts with tsx (so the harness needs no build step of its own).
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkNodeVersion } from './lib/node-version.mjs'

checkNodeVersion('npm run bench')

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bench/run.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
})
process.exit(r.status ?? 1)
