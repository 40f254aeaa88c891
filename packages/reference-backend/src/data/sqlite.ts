import type { DatabaseSync } from 'node:sqlite'

export type { DatabaseSync }

/**
 * Opens a SQLite file with Node's built-in `node:sqlite` (no native addon to compile). The module is
 * loaded on first use rather than imported: an ESM `import` would load it while the CLI's modules are
 * still being linked — before the entry point had a chance to filter its ExperimentalWarning.
 */
export function openSqlite(file: string, options: { readOnly: boolean; busyTimeoutMs?: number }): DatabaseSync {
  const { DatabaseSync } = process.getBuiltinModule('node:sqlite')
  const db = new DatabaseSync(file, { readOnly: options.readOnly })
  // A PRAGMA rather than the `timeout` constructor option, which only exists from Node 22.16.
  if (options.busyTimeoutMs) db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs)}`)
  return db
}
