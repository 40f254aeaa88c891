import { readFile } from 'node:fs/promises'
import { DEFAULT_FLAGS, type Flags, type FlagsDocument, flagOverrides } from '@hewston-bff/core'
import type { RequestHandler } from 'express'
import type { Logger } from '../observability/logger.js'

/**
 * `GET /api/v1/flags`: the remote flags document the browser SDK polls — ops' kill switch. Read from
 * `--flags-file` on every request (a JSON object such as `{"stream": false}`), so editing the file takes
 * effect within one client poll; absent or unreadable → every group on.
 */
export function flagsRoute(options: { file?: string; backend: string; pollMs: number; logger: Logger }): RequestHandler {
  return async (_req, res) => {
    let flags: Flags = { ...DEFAULT_FLAGS }
    if (options.file) {
      try {
        flags = { ...flags, ...flagOverrides(JSON.parse(await readFile(options.file, 'utf8'))) }
      } catch (err) {
        options.logger.warn({ file: options.file, err: (err as Error).message }, 'flags file unreadable: every group on')
      }
    }
    res.setHeader('cache-control', 'no-store')
    const doc: FlagsDocument = { flags, backend_url: options.backend, poll_ms: options.pollMs }
    res.json(doc)
  }
}
