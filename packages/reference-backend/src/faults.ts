/**
 * Fault injection for tests. Everything is off by default and only switched on by explicit CLI flags or
 * by {@link ReferenceBackend.setFaults}.
 */
export interface RouteFault {
  /** HTTP method to match (any when omitted). */
  method?: string
  /** Exact path (`/backtests`), a path with `*` wildcards (`/bars/*`), or a RegExp tested on the path. */
  path: string | RegExp
  /**
   * A status code to answer with (body `{"detail":"Injected fault"}` unless `body` is given; a bare 500 is
   * an unhandled exception: uvicorn's plain-text 500, then the connection is closed); `'reset'` to destroy
   * the connection without answering; `'hang'` to never answer.
   */
  status: number | 'reset' | 'hang'
  body?: string
  contentType?: string
  /** Apply to this many matching requests only, then stop (unlimited when omitted). */
  times?: number
}

export interface FaultConfig {
  /** Added before every HTTP response and before a WS/SSE stream starts, in ms. */
  latencyMs?: number
  routes?: RouteFault[]
  /** Drop WS connections / SSE responses abruptly after this many frames (no close frame, no `end`). */
  closeStreamAfterFrames?: number
  /** Throttle SSE streams to about this many frames per second (a slow upstream). */
  sseFramesPerSecond?: number
  /** Behave like the upstream at its current HEAD: `STREAM_ERROR` ("name '_norm_ts' is not defined") instead of frames. */
  streamError?: boolean
}

/** The message the real backend's broken streamer raises. */
export const HEAD_STREAM_ERROR = "name '_norm_ts' is not defined"

export function matchesRoute(fault: RouteFault, method: string, pathname: string): boolean {
  if (fault.method && fault.method.toUpperCase() !== method) return false
  if (fault.path instanceof RegExp) return fault.path.test(pathname)
  if (!fault.path.includes('*')) return fault.path === pathname
  const re = new RegExp(`^${fault.path.split('*').map(escapeRe).join('.*')}$`)
  return re.test(pathname)
}

const escapeRe = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')

/** Parses a CLI route fault: `[METHOD ]PATH=STATUS`, e.g. `GET /bars/*=503` or `/backtests=reset`. */
export function parseRouteFault(spec: string): RouteFault {
  const m = /^(?:([A-Za-z]+)\s+|([A-Za-z]+):)?(\/\S*)=(\d{3}|reset|hang)$/.exec(spec.trim())
  if (!m) throw new Error(`invalid --fail-route "${spec}" (expected "[METHOD ]PATH=STATUS|reset|hang")`)
  const status = m[4] === 'reset' || m[4] === 'hang' ? m[4] : Number(m[4])
  return { method: m[1] ?? m[2], path: m[3] as string, status }
}
