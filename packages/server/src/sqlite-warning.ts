/**
 * Filters exactly one warning: Node's "SQLite is an experimental feature" ExperimentalWarning. `node:sqlite`
 * is experimental on Node 22/24 but is the documented, stable-enough API we read the catalog with; printing
 * the warning on every start would only teach operators to ignore warnings. Every other warning — other
 * experimental features included — still reaches stderr. Called by our CLI entry point only: a library
 * must not change its host's process-wide warning handling.
 */
export function silenceSqliteExperimentalWarning(): void {
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const first = rest[0]
    const type = typeof first === 'string' ? first : ((first as { type?: string } | undefined)?.type ?? (warning as Error)?.name)
    const message = typeof warning === 'string' ? warning : warning?.message
    if (type === 'ExperimentalWarning' && /\bSQLite\b/.test(message ?? '')) return
    emit(warning, ...rest)
  }) as typeof process.emitWarning
}
