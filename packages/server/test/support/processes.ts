import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { freePort, repoRoot } from '@hewston-bff/reference-backend/testing'

export { freePort }

export const BFF_CLI = path.join(repoRoot(), 'packages/server/dist/cli.js')

export interface BffProcess {
  readonly url: string
  readonly child: ChildProcess
  /** Everything the process wrote to stderr (stdout is JSON logs, kept when `keepLogs`). */
  readonly stderr: () => string
  readonly logs: () => string
  /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code. */
  stop(): Promise<number | null>
}

/** Starts the built `hewston-bff` CLI as a real process on a free port and waits until `/health` answers. */
export async function spawnBff(backend: string, args: string[] = [], env: Record<string, string> = {}): Promise<BffProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, [BFF_CLI, '--backend', backend, '--port', String(port), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  let logs = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  child.stdout?.on('data', (d: Buffer) => {
    if (logs.length < 5_000_000) logs += d.toString()
  })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`hewston-bff exited ${child.exitCode}: ${stderr}`)
    try {
      await fetch(`${url}/health`)
      break
    } catch {
      if (Date.now() > deadline) throw new Error(`hewston-bff did not come up on ${url}: ${stderr}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  return {
    url,
    child,
    stderr: () => stderr,
    logs: () => logs,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode)
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000)
        child.once('exit', (code) => {
          clearTimeout(kill)
          resolve(code)
        })
        child.kill('SIGTERM')
      }),
  }
}
