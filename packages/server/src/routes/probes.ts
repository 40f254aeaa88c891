import type { Upstream } from '@hewston-bff/core'
import type { RequestHandler } from 'express'
import { z } from 'zod'

/** `GET /livez`. */
export const LivezSchema = z.object({ status: z.literal('live') })
/** `GET /readyz`: 200 `ready`; 503 `draining` or `backend unreachable` (with the last probe's error). */
export const ReadyzSchema = z.object({
  status: z.enum(['ready', 'draining', 'backend unreachable']),
  error: z.string().optional(),
  grace_ms: z.number().int().optional(),
})

/** Whether the instance still takes new traffic: false from the first moment of a graceful shutdown. */
export interface Readiness {
  draining: boolean
}

/** `GET /livez`: the process is up and its event loop answers. No dependency is consulted (a backend outage must not restart instances). */
export function livezRoute(): RequestHandler {
  return (_req, res) => {
    res.setHeader('cache-control', 'no-store')
    res.json({ status: 'live' })
  }
}

/**
 * `GET /readyz`: 200 while the instance should get traffic — not draining, and the backend reachable:
 * it answered a `/healthz` probe within the health timeout, or any real request (any status), at some
 * point in the last `graceMs` (5 s). A backend busy enough to miss its probes but answering traffic is
 * reachable: taking every instance out of the balancer then would turn a slow backend into an outage.
 * The grace matters: the upstream stalls its own event loop while it loads a run (contract §7.3), and a
 * readiness that failed on the first slow probe would take every instance of a fleet out of the
 * balancer at once. The answer never waits on the backend (but for the very first probe): it reflects
 * the probes so far and starts a new one in the background when the last is over 500 ms old, so a
 * balancer's short check timeout is always met and checks every 100 ms cost the backend little. `?only=drain` skips the backend check (for balancers that should keep
 * sending traffic, served from the caches, while the backend is out).
 */
export function readyzRoute(deps: {
  readiness: Readiness
  upstream: Upstream
  timeoutMs: number
  /** When the backend last answered real traffic (epoch ms): as good as a passed probe. */
  lastAnswerAt?: () => number
  cacheMs?: number
  graceMs?: number
}): RequestHandler {
  const graceMs = deps.graceMs ?? 5000
  let lastProbe = 0
  let lastOk = Number.NEGATIVE_INFINITY
  let lastError = ''
  let probing: Promise<void> | undefined
  const probe = (): Promise<void> => {
    if (Date.now() - lastProbe < (deps.cacheMs ?? 500)) return Promise.resolve()
    probing ??= deps.upstream
      .healthz({ timeoutMs: deps.timeoutMs, signal: AbortSignal.timeout(deps.timeoutMs + 50) })
      .then(
        () => {
          lastOk = Date.now()
        },
        (err: Error) => {
          lastError = err.message
        },
      )
      .finally(() => {
        lastProbe = Date.now()
        probing = undefined
      })
    return probing
  }
  return async (req, res) => {
    res.setHeader('cache-control', 'no-store')
    if (deps.readiness.draining) return void res.status(503).json({ status: 'draining' })
    if (req.query.only === 'drain') return void res.json({ status: 'ready' })
    const next = probe()
    if (lastProbe === 0) await next
    const seen = Math.max(lastOk, deps.lastAnswerAt?.() ?? Number.NEGATIVE_INFINITY)
    if (Date.now() - seen > graceMs)
      return void res.status(503).json({ status: 'backend unreachable', error: lastError, grace_ms: graceMs })
    res.json({ status: 'ready' })
  }
}
