import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { correlationIdFrom, forwardedHeaders, RELAYED_HANDSHAKE_HEADERS, type UpstreamBreaker } from '@hewston-bff/core'
import WebSocket, { WebSocketServer } from 'ws'
import { writeRawError } from '../http/connection-guard.js'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'

const CLIENT_HIGH_WATER = 4 * 1024 * 1024

export interface WsRelayOptions {
  backend: string
  maxMessageBytes: number
  handshakeTimeoutMs: number
  breaker: UpstreamBreaker
  metrics: BffMetrics
  logger: Logger
}

/**
 * The transparent WebSocket relay for `/backtests/{id}/ws`: the client is only accepted once the upstream
 * accepted, then every message is relayed both ways in order, text as text and binary as binary (the
 * upstream's own handling of binary — dropping the connection — stays observable). Back-pressure from a
 * slow client pauses the upstream socket instead of buffering without bound.
 */
export class WsRelay {
  private readonly wss: WebSocketServer
  private readonly pairs = new Set<{ client: WebSocket; upstream: WebSocket }>()

  constructor(private readonly options: WsRelayOptions) {
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: options.maxMessageBytes })
  }

  get size(): number {
    return this.pairs.size
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, upstreamPath: string, search: string): void {
    const { metrics, logger, breaker } = this.options
    const correlationId = correlationIdFrom({ get: (n) => header(req, n) })
    if (breaker.state === 'open') {
      metrics.upstreamErrors.inc({ kind: 'breaker_open' })
      return rejectHandshake(
        socket,
        503,
        'UPSTREAM_UNAVAILABLE',
        'upstream circuit breaker is open',
        correlationId,
        Math.ceil(breaker.retryAfterMs / 1000),
      )
    }
    const target = `${this.options.backend.replace(/^http/, 'ws').replace(/\/+$/, '')}${upstreamPath}${search}`
    const headers = forwardedHeaders((n) => header(req, n), correlationId, RELAYED_HANDSHAKE_HEADERS)
    const upstream = new WebSocket(target, {
      headers,
      perMessageDeflate: false,
      handshakeTimeout: this.options.handshakeTimeoutMs,
      maxPayload: 256 * 1024 * 1024,
    })
    let accepted = false
    upstream.once('unexpected-response', (_r, res) => {
      res.resume()
      rejectHandshake(socket, 502, 'UPSTREAM_UNAVAILABLE', `upstream refused the WebSocket (${res.statusCode})`, correlationId)
    })
    upstream.once('error', (err) => {
      if (accepted) return
      metrics.upstreamErrors.inc({ kind: 'unavailable' })
      logger.error({ correlation_id: correlationId, err: err.message }, 'upstream WebSocket failed')
      rejectHandshake(
        socket,
        /timed out/i.test(err.message) ? 504 : 502,
        /timed out/i.test(err.message) ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNAVAILABLE',
        `upstream WebSocket failed: ${err.message}`,
        correlationId,
      )
    })
    upstream.once('open', () => {
      accepted = true
      this.wss.handleUpgrade(req, socket, head, (client) => this.bridge(client, upstream, correlationId))
    })
  }

  private bridge(client: WebSocket, upstream: WebSocket, correlationId: string): void {
    const { metrics, logger } = this.options
    const pair = { client, upstream }
    this.pairs.add(pair)
    metrics.wsConnections.inc({ kind: 'relay' })
    logger.info({ correlation_id: correlationId }, 'ws relay opened')

    upstream.on('message', (data, isBinary) => {
      if (client.readyState !== WebSocket.OPEN) return
      client.send(data, { binary: isBinary })
      metrics.wsMessages.inc({ direction: 'upstream_to_client' })
      if (client.bufferedAmount > CLIENT_HIGH_WATER) {
        upstream.pause()
        const resume = () => {
          if (client.readyState !== WebSocket.OPEN) return
          if (client.bufferedAmount > CLIENT_HIGH_WATER / 4) setTimeout(resume, 10)
          else upstream.resume()
        }
        setTimeout(resume, 10)
      }
    })
    client.on('message', (data, isBinary) => {
      if (upstream.readyState !== WebSocket.OPEN) return
      upstream.send(data, { binary: isBinary })
      metrics.wsMessages.inc({ direction: 'client_to_upstream' })
    })
    upstream.on('close', (code, reason) => {
      // 1005/1006 cannot be sent in a close frame: an abrupt upstream end is passed on as an abrupt end.
      if (code === 1006 || code === 1005 || code === 1015) client.terminate()
      else if (client.readyState === WebSocket.OPEN) client.close(code, reason)
    })
    client.on('close', (code, reason) => {
      metrics.wsConnections.dec({ kind: 'relay' })
      this.pairs.delete(pair)
      if (upstream.readyState === WebSocket.OPEN) {
        if (code === 1006 || code === 1005 || code === 1015) upstream.terminate()
        else upstream.close(code, reason)
      } else if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate()
    })
    client.on('error', (err) => logger.warn({ correlation_id: correlationId, err: err.message }, 'client WebSocket error'))
    upstream.on('error', (err) => logger.error({ correlation_id: correlationId, err: err.message }, 'upstream WebSocket error'))
  }

  /** Graceful shutdown: tell clients to reconnect elsewhere (1012 Service Restart). */
  closeAll(): void {
    for (const { client, upstream } of this.pairs) {
      client.close(1012, 'BFF restarting')
      upstream.close(1001, 'going away')
    }
  }

  /** Hard stop after the grace period. */
  terminateAll(): void {
    for (const { client, upstream } of this.pairs) {
      client.terminate()
      upstream.terminate()
    }
    this.wss.close()
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}

/** Answers a failed handshake with a plain HTTP response carrying the canonical envelope, then closes. */
export function rejectHandshake(
  socket: Duplex,
  status: number,
  code: string,
  message: string,
  correlationId: string,
  retryAfterS?: number,
): void {
  writeRawError(socket, status, code, message, null, retryAfterS ? { 'retry-after': String(retryAfterS) } : {}, correlationId)
}
