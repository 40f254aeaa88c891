/** The prefix under which the BFF exposes every upstream endpoint (and its own). */
export const API_PREFIX = '/api/v1'

/**
 * The BFF's own HTTP paths; every other path belongs to the upstream. Exact matches: a variant such as a
 * trailing slash is the upstream's business (it answers with its own redirect or 404).
 */
const OWN =
  /^(?:\/health|\/livez|\/readyz|\/metrics|\/api\/v1\/(?:flags|chart-data|runs|runs\/[^/]+\/(?:complete|stream)|openapi\.json|docs(?:\/.*)?)|\/demo(?:\/.*)?)$/

export const isOwnPath = (path: string): boolean => OWN.test(path)

/**
 * The upstream path for a request path that is not the BFF's own: `/api/v1/x` → `/x` (so an existing
 * frontend only changes its base URL), any other path unchanged — unknown paths get the upstream's own 404.
 */
export function upstreamPathOf(path: string): string {
  if (path === API_PREFIX) return '/'
  if (path.startsWith(`${API_PREFIX}/`)) return path.slice(API_PREFIX.length)
  return path
}
