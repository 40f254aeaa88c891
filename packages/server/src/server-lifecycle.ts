import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import type { Duplex } from 'node:stream'
import type { BffConfig } from './config/config.js'
import { installConnectionGuard, serverOptions } from './http/connection-guard.js'
import type { Logger } from './observability/logger.js'
import type { BffMetrics } from './observability/metrics.js'

export interface LifecycleDeps {
  config: BffConfig
  metrics: BffMetrics
  logger: Logger
  onRequest: (req: IncomingMessage, res: ServerResponse) => void
  onUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void
  /** Graceful shutdown, step 1: tell WebSocket clients to reconnect elsewhere (1012). */
  closeStreams: () => void
  /** Step 3, after the grace period: whatever is still open goes. */
  terminateStreams: () => void
  /** Step 4: release adapters (upstream pool, Redis, catalog, logger). */
  release: () => Promise<void>
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
      const s = createServer(
        { keepAliveTimeout: 65_000, maxHeaderSize: config.maxHeaderBytes, ...serverOptions(config) },
        deps.onRequest,
      )
      s.on('upgrade', deps.onUpgrade)
      sockets = installConnectionGuard(s, config, { metrics, logger })
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject)
        s.listen(config.port, config.host, () => {
          s.off('error', reject)
          resolve()
        })
      })
      const addr = s.address()
      if (addr && typeof addr === 'object') boundPort = addr.port
      server = s
      logger.info({ url: url(), backend: config.backend }, 'hewston-bff listening')
      return url()
    },
    async close() {
      const s = server
      if (!s) return
      server = undefined
      logger.info({ in_flight: (await metrics.inFlight.get()).values[0]?.value ?? 0 }, 'shutting down')
      const closed = new Promise<void>((resolve) => s.close(() => resolve()))
      deps.closeStreams()
      s.closeIdleConnections()
      const deadline = new Promise<void>((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref())
      await Promise.race([closed, deadline])
      deps.terminateStreams()
      s.closeAllConnections()
      for (const socket of sockets) socket.destroy()
      await deps.release()
      await closed
    },
  }
}
