import { existsSync } from 'node:fs'
import path from 'node:path'
import type { Upstream } from '@hewston-bff/core'
import type { RequestHandler } from 'express'
import { z } from 'zod'

const DependencySchema = z.object({
  status: z.enum(['ok', 'down', 'missing']),
  latency_ms: z.number().optional(),
  error: z.string().optional(),
  path: z.string().optional(),
  mode: z.string().optional().describe('rate_limits: fleet (shared through Redis) or per-instance'),
})

/** The body of `GET /health` (200 or 503), published in the OpenAPI document. */
export const HealthReportSchema = z.object({
  service: z.literal('hewston-bff'),
  version: z.string(),
  status: z.enum(['ok', 'degraded', 'down']),
  timestamp: z.string(),
  uptime_s: z.number(),
  dependencies: z.object({ backend: DependencySchema }).catchall(DependencySchema),
})

export interface HealthDeps {
  upstream: Upstream
  timeoutMs: number
  version: string
  startedAt: number
  root?: string
  /** Extra dependency probes (e.g. Redis once configured). */
  probes?: Record<string, () => Promise<{ status: 'ok' | 'down'; latency_ms?: number; error?: string; mode?: string }>>
}

type DepStatus = z.infer<typeof DependencySchema>

/**
 * `GET /health`: the BFF's own view of its dependencies. 200 while the backend answers (status `ok`, or
 * `degraded` when an optional dependency is down), 503 with the same body when it does not. The backend
 * probe has its own deadline, so this answers within a second even when the backend hangs.
 */
export function healthRoute(deps: HealthDeps): RequestHandler {
  return async (_req, res) => {
    const started = performance.now()
    const backend: DepStatus = await deps.upstream
      .healthz({ timeoutMs: deps.timeoutMs, signal: AbortSignal.timeout(deps.timeoutMs + 50) })
      .then(() => ({ status: 'ok' as const, latency_ms: round(performance.now() - started) }))
      .catch((err: Error) => ({ status: 'down' as const, latency_ms: round(performance.now() - started), error: err.message }))
    const dependencies: Record<string, DepStatus> = { backend }
    if (deps.root) {
      const catalog = path.join(deps.root, 'data', 'catalog.sqlite')
      dependencies.catalog = existsSync(catalog) ? { status: 'ok', path: catalog } : { status: 'missing', path: catalog }
    }
    for (const [name, probe] of Object.entries(deps.probes ?? {})) {
      dependencies[name] = await probe().catch((err: Error) => ({ status: 'down' as const, error: err.message }))
    }
    const optionalDown = Object.entries(dependencies).some(([k, d]) => k !== 'backend' && d.status !== 'ok')
    const status = backend.status !== 'ok' ? 'down' : optionalDown ? 'degraded' : 'ok'
    const report: z.infer<typeof HealthReportSchema> = {
      service: 'hewston-bff',
      version: deps.version,
      status,
      timestamp: new Date().toISOString(),
      uptime_s: round((Date.now() - deps.startedAt) / 1000),
      dependencies: { ...dependencies, backend },
    }
    res.status(status === 'down' ? 503 : 200).json(report)
  }
}

const round = (x: number) => Math.round(x * 10) / 10
