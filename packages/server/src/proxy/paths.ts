/** The prefix under which the BFF exposes every upstream endpoint (and its own). */
export const API_PREFIX = '/api/v1'

/** Upstream paths also reachable unprefixed, so an existing frontend only changes its base URL. */
const UPSTREAM_ROOTS = /^\/(healthz|openapi\.json|docs|redoc|backtests|bars)(\/|$)/

/**
 * The upstream path for a request path, or undefined when the BFF does not proxy it. Everything under
 * `/api/v1/` that the BFF does not serve itself goes upstream (so unknown paths get the upstream's own 404).
 */
export function upstreamPathOf(path: string): string | undefined {
  if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`)) return path.slice(API_PREFIX.length) || '/'
  if (UPSTREAM_ROOTS.test(path)) return path
  return undefined
}

/** `/backtests/{id}/ws` (prefixed or not) → the run id, for WebSocket upgrades. */
export function wsRunIdOf(path: string): string | undefined {
  const upstream = upstreamPathOf(path)
  const m = upstream ? /^\/backtests\/([^/]+)\/ws$/.exec(upstream) : null
  return m ? (m[1] as string) : undefined
}
