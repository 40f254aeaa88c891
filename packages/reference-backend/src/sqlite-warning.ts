/**
 * Drops Node's one-line "SQLite is an experimental feature" warning from this CLI's stderr (the catalog is
 * read with `node:sqlite`); every other warning still prints. Only the CLI calls it: importing the library
 * changes nothing process-wide.
 */
export function silenceSqliteExperimentalWarning(): void {
  const emitWarning = process.emitWarning
  process.emitWarning = ((...args: Parameters<typeof process.emitWarning>) => {
    if (String(args[0]).includes('SQLite is an experimental feature')) return
    Reflect.apply(emitWarning, process, args)
  }) as typeof process.emitWarning
}
