import { spawn } from 'node:child_process'
import path from 'node:path'
import { ROOT } from './processes.js'

export interface LoadFigures {
  p50: number
  p90: number
  p99: number
  mean: number
  rps: number
  requests: number
  errors: number
  bytesPerReq: number
}

/** Drives `url` with autocannon from a separate process and returns its figures (latency in ms). */
export function load(url: string, connections: number, durationS: number, headers?: Record<string, string>): Promise<LoadFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'bench/lib/load.ts'), JSON.stringify({ url, connections, durationS, headers })],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) as string)) : reject(new Error(`load exited ${code}`)),
    )
  })
}

/** Wall time of one request until its body has arrived (throws on a non-2xx answer). */
export async function timed(url: string, headers: Record<string, string> = {}): Promise<number> {
  const t0 = performance.now()
  const res = await fetch(url, { headers })
  await res.arrayBuffer()
  if (!res.ok) throw new Error(`${url} → ${res.status}`)
  return performance.now() - t0
}

/** Nearest-rank percentile, rounded to 0.01. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return Math.round((s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0) * 100) / 100
}
