import type { ArtifactSource, Cache, Clock, MetricsCatalog, Upstream } from '@hewston-bff/core'
import manifest from '../package.json' with { type: 'json' }
import type { BffConfig } from './config/config.js'
import { createDispatcher } from './http/dispatch.js'
import { ownRoutes } from './http/own-routes.js'
import { upgradeRouter } from './http/upgrade-router.js'
import { createLogger, type Logger } from './observability/logger.js'
import { BffMetrics } from './observability/metrics.js'
import { serverLifecycle } from './server-lifecycle.js'
import type { BffApp } from './types.js'
import { createPorts } from './wiring/ports.js'
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
  const { ports, rawUpstream, probes, release } = createPorts(config, deps, metrics, logger)
  const { charts, runs, streams, forwarder, relay, passThrough } = createServices(config, ports)
  const health = {
    upstream: rawUpstream,
    timeoutMs: config.healthTimeoutMs,
    version: manifest.version,
    startedAt: ports.clock.now(),
    root: config.root,
    probes,
  }
  const app = ownRoutes({ config, upstream: ports.upstream, charts, runs, catalog: ports.catalog, metrics, logger, health })
  const lifecycle = serverLifecycle({
    config,
    metrics,
    logger,
    onRequest: createDispatcher({ own: app, passThrough, maxUrlBytes: config.maxUrlBytes, metrics, logger }),
    onUpgrade: upgradeRouter({ streams, relay, logger }),
    streams: [relay, streams],
    release: async () => {
      forwarder.close()
      await release()
    },
  })
  const { breaker, cache } = ports
  return Object.assign(lifecycle, { app, config, metrics, breaker, logger, cache, charts, runs, streams, forwarder })
}
