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
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/lib/load.ts'), JSON.stringify({ url, connections, durationS, headers })], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1) as string)) : reject(new Error(`load exited ${code}`))))
  })
}
