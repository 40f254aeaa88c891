import { execFile, spawn } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { repoRoot } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OPTIONS } from '../src/index.js'
import { startGeneratedBackend } from './support/harness.js'

const run = promisify(execFile)
const CLI = path.join(repoRoot(), 'packages/server/dist/cli.js')

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], {
      timeout: 30_000,
      env: { PATH: process.env.PATH ?? '', ...env },
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('hewston-bff CLI (built dist)', () => {
  let backendUrl: string
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    const started = await startGeneratedBackend()
    backendUrl = started.backend.url
    cleanup = started.cleanup
  })
  afterAll(async () => cleanup())

  it('--help lists every option with its env name and default', async () => {
    const { code, stdout } = await cli(['--help'])
    expect(code).toBe(0)
    for (const o of OPTIONS) {
      expect(stdout).toContain(o.flag)
      expect(stdout).toContain(`env ${o.env}`)
      if (o.default) expect(stdout).toContain(`(default ${o.default})`)
    }
  })

  it('exits 2 with one line naming the option for a bad or missing value', async () => {
    const missing = await cli([])
    expect(missing.code).toBe(2)
    expect(missing.stderr.trim()).toMatch(/^hewston-bff: invalid --backend \(HEWSTON_BACKEND_URL\)/)
    const port = await cli(['--backend', backendUrl, '--port', 'eighty'])
    expect(port.code).toBe(2)
    expect(port.stderr.trim().split('\n')).toHaveLength(1)
    expect(port.stderr).toMatch(/--port \(PORT\)/)
    const env = await cli(['--backend', backendUrl], { HEWSTON_UPSTREAM_TIMEOUT_MS: '-5' })
    expect(env.code).toBe(2)
    expect(env.stderr).toMatch(/--upstream-timeout-ms \(HEWSTON_UPSTREAM_TIMEOUT_MS\)/)
    expect((await cli(['--bogus'])).code).toBe(2)
  })

  it('serves with env configuration and shuts down cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI, '--port', '0'], {
      env: { PATH: process.env.PATH ?? '', HEWSTON_BACKEND_URL: backendUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const url = await new Promise<string>((resolve, reject) => {
      let buf = ''
      child.stdout?.on('data', (d: Buffer) => {
        buf += d.toString()
        const m = /"url":"(http:\/\/[^"]+)"/.exec(buf)
        if (m) resolve(m[1] as string)
      })
      child.on('exit', (c) => reject(new Error(`exited ${c}`)))
    })
    expect((await fetch(`${url}/health`)).status).toBe(200)
    const exited = new Promise<number | null>((r) => child.on('exit', r))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
  })

  it('node-options prints the V8 heap limit for these bounds (flags and env alike); bad options exit 2', async () => {
    const explicit = await cli(['node-options', '--backend', backendUrl, '--cache-max-mb', '128', '--stream-pool-mb', '256'])
    expect(explicit).toMatchObject({ code: 0, stdout: '--max-old-space-size=640\n' })
    const fromEnv = await cli(['node-options'], {
      HEWSTON_BACKEND_URL: backendUrl,
      HEWSTON_CACHE_MAX_MB: '64',
      HEWSTON_STREAM_POOL_MB: '32',
    })
    expect(fromEnv.stdout).toBe('--max-old-space-size=352\n')
    expect((await cli(['node-options', '--backend', backendUrl])).stdout).toBe(`--max-old-space-size=${256 + 512 + 256}\n`)
    const bad = await cli(['node-options', '--backend', backendUrl, '--cache-max-mb', 'lots'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--cache-max-mb \(HEWSTON_CACHE_MAX_MB\)/)
    expect((await cli(['--help'])).stdout).toContain('hewston-bff node-options')
  })

  it('warns at start when V8 may grow the heap far beyond the memory bounds, naming the NODE_OPTIONS to use', async () => {
    const startAndReadLogs = async (env: Record<string, string>) => {
      const child = spawn(process.execPath, [CLI, '--port', '0', '--cache-max-mb', '64', '--stream-pool-mb', '64'], {
        env: { PATH: process.env.PATH ?? '', HEWSTON_BACKEND_URL: backendUrl, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let logs = ''
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (d: Buffer) => {
          logs += d.toString()
          if (/"url":"http/.test(logs)) setTimeout(resolve, 200)
        })
        child.on('exit', (c) => reject(new Error(`exited ${c}`)))
      })
      const exited = new Promise((r) => child.on('exit', r))
      child.kill('SIGTERM')
      await exited
      return logs
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { level: number; msg: string; node_options?: string })
    }
    const unsized = (await startAndReadLogs({})).find((l) => l.node_options)
    expect(unsized).toMatchObject({ level: 40, node_options: '--max-old-space-size=384' })
    expect(unsized?.msg).toMatch(/far above this instance's memory bounds/)
    const sized = await startAndReadLogs({ NODE_OPTIONS: '--max-old-space-size=384' })
    expect(sized.some((l) => l.node_options)).toBe(false)
  })

  it('flags: usage errors exit 2 naming the problem, an unreachable Redis exits 1, --help exits 0', async () => {
    const help = await cli(['flags', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/hewston-bff flags set <group>=on\|off/)
    expect((await cli(['flags'])).code).toBe(2)
    const unknown = await cli(['flags', 'toggle', '--redis', 'redis://127.0.0.1:6379'])
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown action "toggle"/) })
    const badValue = await cli(['flags', 'set', 'stream=maybe', '--redis', 'redis://127.0.0.1:6379'])
    expect(badValue.code).toBe(2)
    expect(badValue.stderr).toMatch(/stream/)
    const badGroup = await cli(['flags', 'set', 'charts=off', '--redis', 'redis://127.0.0.1:6379'])
    expect(badGroup.code).toBe(2)
    expect(badGroup.stderr).toMatch(/charts/)
    expect((await cli(['flags', 'get'])).stderr).toMatch(/--redis <redis:\/\/…> \(or REDIS_URL\) is required/)
    const down = await cli(['flags', 'get', '--redis', 'redis://127.0.0.1:1'])
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(/Redis at redis:\/\/127\.0\.0\.1:1 failed/)
  })

  it.each(['hewston-bff', 'hewston-reference-backend'])(
    '%s --help runs from the repository root through npx, never from the registry',
    async (bin) => {
      // --no-install: a name npx cannot find locally fails instead of being fetched from the registry.
      const { stdout } = await run('npx', ['--no-install', bin, '--help'], { cwd: repoRoot(), timeout: 30_000 })
      expect(stdout).toMatch(new RegExp(`^${bin} — `))
    },
  )

  it('npm start (scripts/start.mjs) prints the URLs and human-readable BFF logs (pino-pretty), and stops on SIGTERM', async () => {
    const gen = await startGeneratedBackend({ seed: 3 })
    const { freePort } = await import('@hewston-bff/reference-backend/testing')
    const child = spawn(process.execPath, [path.join(repoRoot(), 'scripts/start.mjs')], {
      cwd: repoRoot(),
      env: {
        PATH: process.env.PATH ?? '',
        HEWSTON_DEMO_DIR: gen.data.root,
        REFERENCE_PORT: String(await freePort()),
        BFF_PORT: String(await freePort()),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    try {
      const deadline = Date.now() + 30_000
      // The BFF writes its logs in batches: its "listening" line may come after the URLs.
      const ready = () => out.includes('Press Ctrl-C to stop.') && /\[bff\] .*hewston-bff listening/.test(out)
      while (!ready() && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100))
      expect(out).toMatch(/demo page\s+http:\/\/127\.0\.0\.1:\d+\/demo\//)
      expect(out).toMatch(/^\[bff\] \[\d\d:\d\d:\d\d\.\d{3}\] INFO: hewston-bff listening/m)
      expect(out).not.toMatch(/^\[bff\] \{/m)
    } finally {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
      await gen.cleanup()
    }
  })
})
