import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

export { freePort } from '@hewston-bff/reference-backend/testing'

export async function waitFor(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await fetch(url)
      return
    } catch {
      if (Date.now() > deadline) throw new Error(`${url} did not come up`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

const children: ChildProcess[] = []
/** Starts a node process (its output discarded unless it fails to start) and remembers it for cleanup. */
export function startNode(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...env } })
  children.push(child)
  return child
}

/** Remembers any other child process for cleanup. */
export function track(child: ChildProcess): ChildProcess {
  children.push(child)
  return child
}

/** Stops a process gracefully (SIGTERM: a --cpu-prof profile is written on exit) and waits for it. */
export function stopGracefully(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve()
    const kill = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.once('exit', () => {
      clearTimeout(kill)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

export function stopAll(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
}
process.on('exit', stopAll)

/** Builds the packages if needed and returns a Hewston working directory with demo data. */
export function ensureBuiltAndData(): string {
  if (
    !existsSync(path.join(ROOT, 'packages/server/dist/cli.js')) ||
    !existsSync(path.join(ROOT, 'packages/reference-backend/dist/cli.js'))
  ) {
    spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' })
  }
  const dir = path.resolve(ROOT, process.env.HEWSTON_DEMO_DIR ?? '.demo-data')
  if (!existsSync(path.join(dir, 'data', 'catalog.sqlite'))) {
    spawnSync(process.execPath, ['packages/reference-backend/dist/cli.js', 'generate', '--out', dir], { cwd: ROOT, stdio: 'inherit' })
  }
  return dir
}

/** CPU time (clock ticks), resident memory (MB) and open file descriptors of a process, from /proc. */
export function procStats(pid: number): { cpuTicks: number; rssMb: number; fds: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return {
    cpuTicks: Number(stat[11]) + Number(stat[12]),
    rssMb: Math.round(rssKb / 102.4) / 10,
    fds: readdirSync(`/proc/${pid}/fd`).length,
  }
}
