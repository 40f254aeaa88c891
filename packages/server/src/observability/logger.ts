import pino, { type DestinationStream, type Logger } from 'pino'

export type { Logger }

/** JSON lines on stdout (or the given stream), one object per event, with the service name on each. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'hewston-bff' }, timestamp: pino.stdTimeFunctions.isoTime }, destination)
}
