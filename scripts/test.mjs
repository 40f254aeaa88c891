#!/usr/bin/env node
// `npm test`: build what the tests spawn, check the real services the tests use, run vitest, and end with
// the line CI reads: "N passed, N failed[, N skipped]".
//
// Everything runs on the Node that runs this script (tsup and vitest are started with process.execPath, not
// through npm/npx): `.ci/run` starts it directly with Node 24 for the second run, and going through npm
// would put the node@22 devDependency first on PATH again.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import net from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkNodeVersion } from './lib/node-version.mjs'

checkNodeVersion('npm test')

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ci = process.env.CI === 'true'
const report = path.join(root, '.vitest-report.json')

/** The JS file behind a package's bin, so it can be started with this very Node. */
function binOf(pkg, name = pkg) {
  const require = createRequire(path.join(root, 'package.json'))
  const manifestPath = require.resolve(`${pkg}/package.json`)
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8'))
  return path.join(path.dirname(manifestPath), typeof bin === 'string' ? bin : bin[name])
}

function step(title, cmd, args, env = process.env) {
  process.stdout.write(`\n> ${title}\n`)
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env })
  return r.status ?? 1
}

/** Whether a TCP service answers on host:port within the timeout. */
function reachable(host, port, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port })
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

const env = { ...process.env }
env.REDIS_URL ??= 'redis://127.0.0.1:6379'
const redis = new URL(env.REDIS_URL)
if (await reachable(redis.hostname, Number(redis.port || 6379))) {
  process.stdout.write(`Redis: reachable at ${env.REDIS_URL}\n`)
} else if (ci) {
  process.stderr.write(`Redis: NOT reachable at ${env.REDIS_URL}; it is required under CI=true\n0 passed, 1 failed\n`)
  process.exit(1)
} else {
  process.stdout.write(`\nNOTICE: Redis is not reachable at ${env.REDIS_URL}: tests that need Redis will be SKIPPED.\n`)
  process.stdout.write('        Start one (redis-server) or set REDIS_URL to run them.\n')
  env.HEWSTON_NO_REDIS = '1'
}

process.stdout.write(`Node.js ${process.version} (${process.execPath})\n`)
// Lint and format (Biome: one fast binary; the boundary rules keep node:*, servers and Node globals out of
// core and the browser SDK), then the compiler's view of the same boundary and of everything else.
const checks = [
  ['lint and format (biome ci)', binOf('@biomejs/biome', 'biome'), ['ci', '--colors=off', '.']],
  ['typecheck (tsc, strict)', binOf('typescript', 'tsc'), ['-p', 'tsconfig.json']],
  ['typecheck core (no Node types)', binOf('typescript', 'tsc'), ['-p', 'packages/core/tsconfig.json']],
  ['typecheck browser (no Node types)', binOf('typescript', 'tsc'), ['-p', 'packages/browser/tsconfig.json']],
]
for (const [title, bin, args] of checks) {
  // Biome's bin is a small launcher script; tsc's is plain JS: both run on this Node.
  if (step(title, process.execPath, [bin, ...args]) !== 0) {
    process.stdout.write('\n0 passed, 1 failed\n')
    process.exit(1)
  }
}
if (
  step('build (tsup)', process.execPath, [binOf('tsup')]) !== 0 ||
  step('build the assets the server serves (demo, API docs)', process.execPath, [path.join(root, 'scripts/build-assets.mjs')]) !== 0
) {
  process.stdout.write('\n0 passed, 1 failed\n')
  process.exit(1)
}

rmSync(report, { force: true })
const args = [binOf('vitest'), 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)]
const status = step('vitest', process.execPath, args, env)

let passed = 0
let failed = 0
let skipped = 0
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'))
  passed = r.numPassedTests ?? 0
  failed = r.numFailedTests ?? 0
  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  // A test file that fails to load has no tests but is a failure all the same.
  const brokenFiles = (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0).length
  failed += brokenFiles
} else {
  failed = 1
}
if (status !== 0 && failed === 0) failed = 1
process.stdout.write(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`)
process.exit(failed > 0 ? 1 : 0)
