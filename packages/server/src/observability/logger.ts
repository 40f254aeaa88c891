import pino, { type DestinationStream, type Logger } from 'pino'

export type { Logger }

/**
 * JSON lines on stdout (or the given stream), one object per event, with the service name on each.
 * Stdout is written asynchronously: lines that arrive while a write is under way are batched into the next
 * one, so a busy proxy does not pay a blocking write per request; pino flushes what is left on exit.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, base: { service: 'hewston-bff' }, timestamp: pino.stdTimeFunctions.isoTime }
  return pino(options, destination ?? pino.destination({ dest: 1, sync: false }))
}
