import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import type { BffConfig } from './config/config.js'
import { installConnectionGuard, serverOptions } from './http/connection-guard.js'
import type { Logger } from './observability/logger.js'
import type { BffMetrics } from './observability/metrics.js'
import type { Readiness } from './routes/probes.js'

export interface LifecycleDeps {
  config: BffConfig
  metrics: BffMetrics
  logger: Logger
  onRequest: (req: IncomingMessage, res: ServerResponse) => void
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
  /** WebSocket hosts: on shutdown `closeAll()` tells clients to reconnect elsewhere (1012); after the grace period `terminateAll()`. */
  streams: { closeAll(): void; terminateAll(): void }[]
  /** Last: release adapters (upstream pool, Redis, catalog). */
  release: () => Promise<void>
  /** Set draining at the start of a graceful shutdown (`/readyz` answers 503 from then on). */
  readiness: Readiness
}

export interface ServerLifecycle {
  /** Starts listening; resolves with the bound URL. */
  listen(): Promise<string>
  /** Graceful shutdown: stop accepting, close WebSockets with 1012, finish in-flight requests (bounded). */
  close(): Promise<void>
  readonly port: number
  readonly url: string
}

/** The HTTP server of the BFF: limits, listen, and the ordered graceful shutdown. */
export function serverLifecycle(deps: LifecycleDeps): ServerLifecycle {
  const { config, logger, metrics } = deps
  let server: Server | undefined
  let boundPort = config.port
  const url = () => `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${boundPort}`
  let sockets = new Set<import('node:net').Socket>()
  return {
    get port() {
      return boundPort
    },
    get url() {
      return url()
    },
    async listen() {
      const s = createServer({ keepAliveTimeout: 65_000, maxHeaderSize: config.maxHeaderBytes, ...serverOptions(config) }, deps.onRequest)
      s.on('upgrade', deps.onUpgrade)
      sockets = installConnectionGuard(s, config, { metrics, logger })
      s.listen(config.port, config.host)
      await once(s, 'listening') // rejects on 'error' (port taken, bad address)
      boundPort = (s.address() as AddressInfo).port
      server = s
      metrics.ready.set(1)
      logger.info({ url: url(), backend: config.backend }, 'hewston-bff listening')
      return url()
    },
    async close() {
      const s = server
      if (!s) return
      server = undefined
      // Readiness goes first: the balancer stops sending new requests while this instance still serves them.
      deps.readiness.draining = true
      metrics.ready.set(0)
      if (config.drainDelayMs > 0) {
        logger.info({ drain_delay_ms: config.drainDelayMs }, 'draining: /readyz answers 503, still serving')
        await new Promise((resolve) => setTimeout(resolve, config.drainDelayMs))
      }
      logger.info({ in_flight: (await metrics.inFlight.get()).values[0]?.value ?? 0 }, 'shutting down')
      const closed = new Promise<void>((resolve) => s.close(() => resolve()))
      for (const hub of deps.streams) hub.closeAll()
      s.closeIdleConnections()
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref())
      await Promise.race([closed, deadline])
      for (const hub of deps.streams) hub.terminateAll()
      s.closeAllConnections()
      for (const socket of sockets) socket.destroy()
      await deps.release()
      await closed
    },
  }
}
