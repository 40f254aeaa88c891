import type { ArtifactSource, Cache, Clock, MetricsCatalog, Upstream } from '@hewston-bff/core'
import manifest from '../package.json' with { type: 'json' }
import type { BffConfig } from './config/config.js'
import { RedisFlagStore } from './flags/flag-store.js'
import { clientAddressOf } from './http/client-address.js'
import { createDispatcher } from './http/dispatch.js'
import { ownRoutes } from './http/own-routes.js'
import { upgradeRouter } from './http/upgrade-router.js'
import { createLogger, type Logger } from './observability/logger.js'
import { BffMetrics } from './observability/metrics.js'
import type { Readiness } from './routes/probes.js'
import { serverLifecycle } from './server-lifecycle.js'
import type { BffApp } from './types.js'
import { createPorts } from './wiring/ports.js'
import { createRateLimits } from './wiring/rate-limits.js'
import { createServices } from './wiring/services.js'

export type { BffApp } from './types.js'

/** Every port of the host; each defaults to the adapter `config` describes, so tests and embedders can swap any. */
export interface BffDeps {
  /** Defaults to a pino logger on stdout at `config.logLevel`. */
  logger?: Logger
  /** The Hewston backend (wrapped in the circuit breaker here); defaults to the HTTP client for `config.backend`. */
  upstream?: Upstream
  /** Defaults to memory, in front of Redis with `config.redis`. */
  cache?: Cache
  /** Run artifacts; defaults to the files under `config.root` (none without it). */
  artifacts?: ArtifactSource
  /** The catalog's metrics; defaults to `data/catalog.sqlite` under `config.root` (none without it). */
  catalog?: MetricsCatalog
  clock?: Clock
}

/**
 * The composition root: the ports (from `deps` or config), core's services over them, the host's HTTP and
 * WebSocket modules over those, one server lifecycle. No logic lives here.
 *
 * @example
 * ```ts
 * const bff = createBffApp(defaultConfig({ backend: 'http://127.0.0.1:8000', port: 0 }))
 * const url = await bff.listen()
 * await fetch(`${url}/api/v1/backtests`)
 * await bff.close()
 * ```
 */
export function createBffApp(config: BffConfig, deps: BffDeps = {}): BffApp {
  const logger = deps.logger ?? createLogger(config.logLevel)
  const metrics = new BffMetrics()
  const { ports, rawUpstream, probes = {}, redis, release } = createPorts(config, deps, metrics, logger)
  const clientAddress = clientAddressOf(config.trustProxy)
  const { charts, runs, streams, forwarder, relay, passThrough } = createServices(config, ports, clientAddress)
  const limits = createRateLimits(config, redis, metrics, probes)
  const readiness: Readiness = { draining: false }
  const health = {
    upstream: rawUpstream,
    timeoutMs: config.healthTimeoutMs,
    version: manifest.version,
    startedAt: ports.clock.now(),
    root: config.root,
    probes,
  }
  const app = ownRoutes({
    config,
    upstream: ports.upstream,
    charts,
    runs,
    catalog: ports.catalog,
    metrics,
    logger,
    health,
    readiness,
    flagStore: redis ? new RedisFlagStore(redis.client) : undefined,
  })
  const lifecycle = serverLifecycle({
    config,
    metrics,
    logger,
    onRequest: createDispatcher({ own: app, passThrough, maxUrlBytes: config.maxUrlBytes, limits, clientAddress, metrics, logger }),
    onUpgrade: upgradeRouter({ streams, relay, logger }),
    streams: [relay, streams],
    readiness,
    release: async () => {
      forwarder.close()
      await release()
    },
  })
  const { breaker, cache } = ports
  return Object.assign(lifecycle, { app, config, metrics, breaker, logger, cache, charts, runs, streams, forwarder })
}
