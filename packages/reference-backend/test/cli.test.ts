import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../src/testing.js'

const run = promisify(execFile)
const CLI = path.join(repoRoot(), 'packages/reference-backend/dist/cli.js')

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { timeout: 60_000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('hewston-reference-backend CLI (built dist)', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'hewston-cli-'))
  const children: ChildProcess[] = []
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL')
    rmSync(tmp, { recursive: true, force: true })
  })

  it('prints --help with every option', async () => {
    const { code, stdout } = await cli(['--help'])
    expect(code).toBe(0)
    for (const opt of [
      '--root',
      '--port',
      '--host',
      '--cors-origin',
      '--latency-ms',
      '--fail-route',
      '--close-stream-after',
      '--stream-error',
      'generate',
      '--out',
      '--symbols',
      '--years',
      '--seed',
    ]) {
      expect(stdout).toContain(opt)
    }
  })

  it('exits 2 with one clear line for a missing, absent or malformed root', async () => {
    const missing = await cli([])
    expect(missing.code).toBe(2)
    expect(missing.stderr.trim()).toBe('hewston-reference-backend: --root <dir> is required (see --help)')
    const absent = await cli(['--root', path.join(tmp, 'nope')])
    expect(absent.code).toBe(2)
    expect(absent.stderr).toMatch(/invalid --root: .*does not exist/)
    mkdirSync(path.join(tmp, 'notahewston'))
    writeFileSync(path.join(tmp, 'notahewston', 'x.txt'), 'x')
    const malformed = await cli(['--root', path.join(tmp, 'notahewston')])
    expect(malformed.code).toBe(2)
    expect(malformed.stderr).toMatch(/has no data\/ folder/)
    expect(malformed.stderr.split('\n').filter(Boolean)).toHaveLength(1)
  })

  it('rejects bad option values with exit 2', async () => {
    expect((await cli(['--root', tmp, '--port', 'abc'])).code).toBe(2)
    expect((await cli(['--bogus'])).code).toBe(2)
    expect((await cli(['generate'])).stderr).toMatch(/needs --out/)
    expect((await cli(['generate', '--out', tmp, '--years', '24'])).code).toBe(2)
  })

  it('generates with progress, then serves the result with faults from flags', async () => {
    const out = path.join(tmp, 'gen')
    const gen = await cli(['generate', '--out', out, '--symbols', 'AAPL', '--years', '2024', '--seed', '2'])
    expect(gen.code).toBe(0)
    expect(gen.stdout).toMatch(/AAPL 2024: [\d,]+ minute bars/)
    expect(gen.stdout).toMatch(/done in .* 2 runs/)

    const child = spawn(
      process.execPath,
      [CLI, '--root', out, '--port', '0', '--fail-route', 'GET /bars/*=503', '--cors-origin', 'http://127.0.0.1:8001'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    children.push(child)
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        const m = /at (http:\/\/\S+)/.exec(d.toString())
        if (m) resolve(m[1] as string)
      })
      child.on('exit', (code) => reject(new Error(`exited ${code}`)))
    })
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    expect((await fetch(`${url}/bars/daily?symbol=AAPL`)).status).toBe(503)
    const cors = await fetch(`${url}/healthz`, { headers: { origin: 'http://127.0.0.1:8001' } })
    expect(cors.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8001')
    const exited = new Promise<number | null>((r) => child.on('exit', r))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })
})
