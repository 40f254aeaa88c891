#!/usr/bin/env node
// `npm start`: demo data on first run, the reference backend on :8000 and the BFF on :8001 in front of it.
// Ctrl-C stops everything. Ports: REFERENCE_PORT / BFF_PORT; data folder: HEWSTON_DEMO_DIR.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { prettyFactory } from 'pino-pretty'
import { checkNodeVersion } from './lib/node-version.mjs'

checkNodeVersion('npm start')

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const demoDir = path.resolve(root, process.env.HEWSTON_DEMO_DIR ?? '.demo-data')
const referencePort = process.env.REFERENCE_PORT ?? '8000'
const bffPort = process.env.BFF_PORT ?? '8001'
const referenceCli = path.join(root, 'packages/reference-backend/dist/cli.js')
const bffCli = path.join(root, 'packages/server/dist/cli.js')

const say = (line) => process.stdout.write(`${line}\n`)
// Development logs for humans (pino-pretty); the BFF itself writes JSON, as it does in production.
const prettify = prettyFactory({
  colorize: process.stdout.isTTY,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname',
  singleLine: true,
})
const pretty = (line) => {
  if (!line.startsWith('{')) return line
  try {
    return prettify(JSON.parse(line)).trimEnd()
  } catch {
    return line
  }
}

if (!existsSync(referenceCli) || !existsSync(path.join(root, 'packages/core/dist/index.js'))) {
  say('building packages (first run)…')
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

if (!existsSync(path.join(demoDir, 'data', 'catalog.sqlite'))) {
  say(`generating demo data into ${demoDir} (first run only)…`)
  const r = spawnSync(
    process.execPath,
    [referenceCli, 'generate', '--out', demoDir, '--symbols', 'AAPL,MSFT', '--years', '2024', '--seed', '1'],
    { stdio: 'inherit' },
  )
  if (r.status !== 0) process.exit(r.status ?? 1)
}

const children = []
let stopping = false
function launch(name, args, env = {}) {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } })
  children.push(child)
  child.stdout.on('data', (d) => {
    for (const line of d.toString().split('\n').filter(Boolean)) process.stdout.write(`[${name}] ${pretty(line)}\n`)
  })
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping`)
      stop(code ?? 1)
    }
  })
  return child
}

function waitFor(url, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const poll = () =>
      fetch(url)
        .then(() => resolve())
        .catch(() => (Date.now() > deadline ? reject(new Error(`${url} did not come up`)) : setTimeout(poll, 150)))
    poll()
  })
}

function stop(code = 0) {
  if (stopping) return
  stopping = true
  say('stopping…')
  for (const c of children) c.kill('SIGTERM')
  const force = setTimeout(() => {
    for (const c of children) c.kill('SIGKILL')
    process.exit(code)
  }, 5000)
  force.unref()
  Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => c.on('exit', r))))).then(() => process.exit(code))
}
process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))

const referenceUrl = `http://127.0.0.1:${referencePort}`
const bffUrl = `http://127.0.0.1:${bffPort}`
launch('reference-backend', [
  referenceCli,
  '--root',
  demoDir,
  '--port',
  referencePort,
  '--cors-origin',
  bffUrl,
  '--cors-origin',
  `http://localhost:${bffPort}`,
])
await waitFor(`${referenceUrl}/healthz`)
const withBff = existsSync(bffCli)
if (withBff) {
  const bffArgs = ['--backend', referenceUrl, '--port', bffPort, '--root', demoDir]
  // A V8 heap sized to the BFF's memory bounds, as `hewston-bff node-options` computes it for these flags.
  const heap = spawnSync(process.execPath, [bffCli, 'node-options', ...bffArgs], { cwd: root, encoding: 'utf8' }).stdout.trim()
  launch('bff', [bffCli, ...bffArgs], process.env.NODE_OPTIONS ? {} : { NODE_OPTIONS: heap })
  await waitFor(`${bffUrl}/health`)
}
say('')
say('Hewston BFF demo is up:')
say(`  reference backend (upstream)  ${referenceUrl}   e.g. ${referenceUrl}/backtests`)
if (withBff) {
  say(`  BFF                           ${bffUrl}   health ${bffUrl}/health, metrics ${bffUrl}/metrics`)
  say(`  BFF proxy                     ${bffUrl}/api/v1/backtests`)
  say(`  demo page                     ${bffUrl}/demo/`)
  say(`  BFF API docs (OpenAPI)        ${bffUrl}/api/v1/docs/`)
}
say(`  demo data                     ${demoDir}`)
say('Press Ctrl-C to stop.')
