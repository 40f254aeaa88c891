import type { IncomingMessage } from 'node:http'
import type { Reply } from './reply.js'

/** The upstream's own allow-list (its Vite dev server). */
export const UPSTREAM_CORS_ORIGINS = ['http://localhost:5173', 'http://127.0.0.1:5173'] as const

const ALLOW_METHODS = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT'

/**
 * Starlette's CORSMiddleware as the upstream configures it (listed origins, credentials, any method, any
 * header): answers preflights itself and decorates every other response that has an `Origin`.
 */
export class Cors {
  private readonly origins: Set<string>
  constructor(origins: readonly string[]) {
    this.origins = new Set(origins)
  }

  /** A preflight answer, or undefined when the request is not a preflight. */
  preflight(req: IncomingMessage): Reply | undefined {
    const origin = req.headers.origin
    if (req.method !== 'OPTIONS' || !origin || !req.headers['access-control-request-method']) return undefined
    const headers: Record<string, string> = {
      vary: 'Origin',
      'access-control-allow-methods': ALLOW_METHODS,
      'access-control-max-age': '600',
      'access-control-allow-credentials': 'true',
    }
    const requested = req.headers['access-control-request-headers']
    const allowed = this.origins.has(origin)
    if (allowed) headers['access-control-allow-origin'] = origin
    if (requested) headers['access-control-allow-headers'] = String(requested)
    return allowed
      ? { status: 200, body: 'OK', contentType: 'text/plain; charset=utf-8', headers }
      : { status: 400, body: 'Disallowed CORS origin', contentType: 'text/plain; charset=utf-8', headers }
  }

  /** Headers for a simple (non-preflight) response. */
  simpleHeaders(req: IncomingMessage): Record<string, string> {
    const origin = req.headers.origin
    if (!origin) return {}
    if (!this.origins.has(origin)) return { 'access-control-allow-credentials': 'true' }
    return {
      'access-control-allow-credentials': 'true',
      'access-control-allow-origin': origin,
      vary: 'Origin',
    }
  }
}
