import type { Workdir } from '../data/workdir.js'
import type { FaultConfig } from '../faults.js'

/** Counters the tests read to see how much work the upstream did. */
export interface BackendStats {
  /** HTTP requests answered, by `METHOD path-template`. */
  requests: Record<string, number>
  sseStreams: number
  wsConnections: number
  wsPlays: number
  /** Frames serialised for any client, over both transports. */
  framesSent: number
}

export interface StreamContext {
  wd: Workdir
  faults: () => FaultConfig
  stats: BackendStats
  heartbeatMs: number
}
