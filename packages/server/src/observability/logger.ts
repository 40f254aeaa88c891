import pino, { type DestinationStream, type Logger } from 'pino'

export type { Logger }

/**
 * JSON lines on stdout (or the given stream), one object per event, with the service name on each.
 * Stdout is written asynchronously in batches — a write once 4 KB of lines have gathered, and at least
 * every 100 ms — so a busy proxy pays one write per few dozen requests instead of one per request, and a
 * quiet one still shows its lines within 100 ms; pino flushes what is left on exit. If stdout stops
 * draining (a stuck log shipper), at most 16 MiB of lines wait in memory: past that, lines are dropped
 * rather than the process growing without bound.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'hewston-bff' }, timestamp: pino.stdTimeFunctions.isoTime }
  return pino(
    options,
    destination ??
      pino.destination({ dest: 1, sync: false, minLength: 4096, maxLength: 16 * 1024 * 1024, periodicFlush: 100 } as Parameters<
        typeof pino.destination
      >[0]),
  )
}
