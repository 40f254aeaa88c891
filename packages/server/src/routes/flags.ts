import { readFile } from 'node:fs/promises'
import type { RequestHandler } from 'express'
import type { Logger } from '../observability/logger.js'

const GROUPS = ['proxy', 'chartData', 'runData', 'stream'] as const

/**
 * `GET /api/v1/flags`: the remote flags document the browser SDK polls — ops' kill switch. Read from
 * `--flags-file` on every request (a JSON object such as `{"stream": false}`), so editing the file takes
 * effect within one client poll; absent or unreadable → every group on.
 */
export function flagsRoute(options: { file?: string; backend: string; pollMs: number; logger: Logger }): RequestHandler {
  return async (_req, res) => {
    const flags: Record<string, boolean> = Object.fromEntries(GROUPS.map((g) => [g, true]))
    if (options.file) {
      try {
        const doc = JSON.parse(await readFile(options.file, 'utf8')) as Record<string, unknown>
        for (const g of GROUPS) if (typeof doc[g] === 'boolean') flags[g] = doc[g] as boolean
      } catch (err) {
        options.logger.warn({ file: options.file, err: (err as Error).message }, 'flags file unreadable: every group on')
      }
    }
    res.setHeader('cache-control', 'no-store')
    res.json({ flags, backend_url: options.backend, poll_ms: options.pollMs })
  }
}
