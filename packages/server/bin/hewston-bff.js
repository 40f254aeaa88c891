#!/usr/bin/env node
// The `hewston-bff` command: a file that exists before the build, so npm links the bin when a fresh clone runs
// `npm ci` (npm skips bins whose target is missing); the command itself is dist/cli.js.
import { existsSync } from 'node:fs'

const cli = new URL('../dist/cli.js', import.meta.url)
if (existsSync(cli)) await import(cli.href)
else {
  process.stderr.write('hewston-bff: not built yet. In the repository, run `npm run build` (or `npm start`) first.\n')
  process.exitCode = 1
}
