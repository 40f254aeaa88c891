import { type Server, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { errorEnvelope } from '@hewston-bff/core'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'

export interface ConnectionLimits {
  /** Time a client has to send its request headers (slowloris). */
  headersTimeoutMs: number
  /** Time a client has to send its whole request, body included. */
  requestTimeoutMs: number
  /** Open client connections; the next one gets a 503 and is closed. */
  maxConnections: number
}

/** Node's parser errors → the answer a client gets (all other parser errors are a 400). */
const PARSER_ERRORS: Record<string, { status: number; code: string; reason: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'HEADERS_TOO_LARGE', reason: 'headers_too_large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'REQUEST_TIMEOUT', reason: 'timeout' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, code: 'PAYLOAD_TOO_LARGE', reason: 'chunk_extensions' },
}

/** Server options that have to be given at creation. */
export function serverOptions(limits: ConnectionLimits) {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // How often Node checks those two timeouts (default 30 s would let a slow client overstay by that much).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    // Checked by the BFF itself, so the answer is an envelope and not Node's empty 400.
    requireHostHeader: false,
  }
}

/**
 * Answers everything Node refuses before a request reaches the BFF — malformed or ambiguous framing,
 * control characters, oversized headers, clients too slow to send their request, connections over the
 * cap — with the canonical envelope and a fresh `x-correlation-id`, then closes the connection (it cannot
 * be trusted to frame another request). Never throws; a socket that cannot be written to is destroyed.
 */
export function installConnectionGuard(
  server: Server,
  limits: ConnectionLimits,
  observer: { metrics: BffMetrics; logger: Logger },
): Set<Socket> {
  const { metrics, logger } = observer
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    if (sockets.size >= limits.maxConnections) {
      metrics.clientErrors.inc({ reason: 'connection_cap' })
      writeRawError(
        socket,
        503,
        'OVERLOADED',
        `too many open connections (limit ${limits.maxConnections})`,
        { limit: limits.maxConnections },
        { 'retry-after': '1' },
      )
      return
    }
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const known = err.code ? PARSER_ERRORS[err.code] : undefined
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy()
    // A response already under way on this socket must not be corrupted by a second status line.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
    if (inFlight?.headersSent) return void socket.destroy()
    metrics.clientErrors.inc({ reason: known?.reason ?? 'parse_error' })
    logger.info({ err: err.message, code: err.code }, 'client error before routing')
    const status = known?.status ?? 400
    const message = known ? `${STATUS_CODES[status]}` : `malformed HTTP request: ${err.message.replace(/^Parse Error: /, '')}`
    // An answer to HEAD carries no body, even this one.
    const raw = (err as { rawPacket?: Buffer }).rawPacket
    const head = raw !== undefined && raw.subarray(0, 5).toString('latin1') === 'HEAD '
    writeRawError(socket, status, known?.code ?? 'BAD_REQUEST', message, { reason: err.code ?? null }, {}, undefined, head)
  })
  return sockets
}

/** Writes a complete error response with the envelope straight to a socket, then closes it. */
export function writeRawError(
  socket: Duplex,
  status: number,
  code: string,
  message: string,
  details: unknown = null,
  extraHeaders: Record<string, string> = {},
  correlationId: string = crypto.randomUUID(),
  headRequest = false,
): void {
  const body = JSON.stringify(errorEnvelope(code, message, details, correlationId))
  writeRawResponse(socket, status, 'application/json; charset=utf-8', body, correlationId, extraHeaders, headRequest)
}

/** Writes a complete response straight to a socket (before any HTTP machinery owns it), then closes it. */
export function writeRawResponse(
  socket: Duplex,
  status: number,
  contentType: string | null,
  body: string,
  correlationId: string,
  extraHeaders: Record<string, string> = {},
  headRequest = false,
): void {
  if (socket.destroyed) return
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`
  if (contentType) head += `content-type: ${contentType}\r\n`
  head += `content-length: ${Buffer.byteLength(body)}\r\n`
  for (const [k, v] of Object.entries(extraHeaders)) head += `${k}: ${v}\r\n`
  socket.end(`${head}x-correlation-id: ${correlationId}\r\nconnection: close\r\n\r\n${headRequest ? '' : body}`)
  // A client that never reads must not keep the socket alive.
  setTimeout(() => socket.destroy(), 2000).unref()
}
