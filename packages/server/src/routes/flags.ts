import { readFile } from 'node:fs/promises'
import { DEFAULT_FLAGS, type Flags, type FlagsDocument, flagOverrides } from '@hewston-bff/core'
import type { RequestHandler } from 'express'
import type { RedisFlagStore } from '../flags/flag-store.js'
import type { Logger } from '../observability/logger.js'

/**
 * `GET /api/v1/flags`: the remote flags document the browser SDK polls — ops' kill switch. Overrides come
 * from `--flags-file` (a JSON object such as `{"stream": false}`) and, with `--redis`, from the fleet's
 * store in Redis (`hewston-bff flags set …`), which wins over the file. Both are read on every request, so a
 * change takes effect within one client poll on every instance; absent or unreadable → every group on
 * (a Redis outage falls back to the file, logged).
 */
export function flagsRoute(options: {
  file?: string
  store?: RedisFlagStore
  backend: string
  pollMs: number
  logger: Logger
}): RequestHandler {
  return async (_req, res) => {
    let flags: Flags = { ...DEFAULT_FLAGS }
    if (options.file) {
      try {
        flags = { ...flags, ...flagOverrides(JSON.parse(await readFile(options.file, 'utf8'))) }
      } catch (err) {
        options.logger.warn({ file: options.file, err: (err as Error).message }, 'flags file unreadable: every group on')
      }
    }
    if (options.store) {
      try {
        flags = { ...flags, ...(await options.store.read()) }
      } catch (err) {
        options.logger.warn({ err: (err as Error).message }, 'flags in Redis unreadable: serving the file (or defaults)')
      }
    }
    res.setHeader('cache-control', 'no-store')
    const doc: FlagsDocument = { flags, backend_url: options.backend, poll_ms: options.pollMs }
    res.json(doc)
  }
}
