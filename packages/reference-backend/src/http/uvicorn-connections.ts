import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * The connection behaviour of uvicorn (h11) that a proxy in front of the real backend has to survive, put
 * onto a Node http server (contract §9.1):
 *
 * - idle keep-alive connections are closed after `keepAliveTimeoutMs` (uvicorn's `timeout_keep_alive`, 5 s)
 *   without any notice — no `Keep-Alive: timeout=` hint, no `Connection: close`;
 * - after an unhandled exception's 500 the connection is closed, again without `Connection: close`;
 * - ambiguous or malformed requests (Content-Length with Transfer-Encoding, duplicate Content-Length,
 *   obfuscated Transfer-Encoding, no Host on HTTP/1.1, …) get h11's `400 Invalid HTTP request received.`
 *   and the connection is closed.
 *
 * Node's own idle timeout is switched off (`keepAliveTimeout = 0`) because it announces itself in a
 * `Keep-Alive` header, which uvicorn never sends; the timer here is silent, like uvicorn's.
 */
export class UvicornConnections {
  private readonly idleTimers = new Map<Socket, NodeJS.Timeout>()
  private readonly active = new Map<Socket, number>()

  constructor(private readonly keepAliveTimeoutMs: number) {}

  /** Server options that go with this behaviour. */
  static readonly serverOptions = { keepAliveTimeout: 0, requireHostHeader: false } as const

  attach(server: Server): void {
    server.keepAliveTimeout = 0
    server.on('connection', (socket: Socket) => {
      this.arm(socket)
      socket.once('close', () => {
        this.disarm(socket)
        this.active.delete(socket)
      })
    })
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy()
      socket.end(INVALID_REQUEST)
    })
  }

  /**
   * Call at the start of every request: true when it may go on, false when it was answered here (an
   * HTTP/1.1 request without Host, which h11 refuses).
   */
  onRequest(req: IncomingMessage, res: ServerResponse): boolean {
    const socket = req.socket
    this.disarm(socket)
    this.active.set(socket, (this.active.get(socket) ?? 0) + 1)
    res.once('close', () => {
      const left = (this.active.get(socket) ?? 1) - 1
      this.active.set(socket, left)
      if (left === 0 && !socket.destroyed) this.arm(socket)
    })
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      res.socket?.end(INVALID_REQUEST)
      return false
    }
    return true
  }

  /** A connection that became a WebSocket leaves HTTP keep-alive handling for good. */
  onUpgrade(socket: Socket): void {
    this.disarm(socket)
    this.active.set(socket, Number.POSITIVE_INFINITY)
  }

  /** After an unhandled exception: once the 500 is on the wire, drop the connection (no `Connection: close`). */
  closeAfter(res: ServerResponse): void {
    // Taken now: Node detaches the socket from the response as it finishes.
    const socket = res.socket
    res.once('finish', () => socket?.destroy())
  }

  private arm(socket: Socket): void {
    if (this.keepAliveTimeoutMs <= 0) return
    this.disarm(socket)
    const timer = setTimeout(() => {
      this.idleTimers.delete(socket)
      // close(2) with nothing left to send: a FIN now, and a RST for whatever the client still sends.
      if ((this.active.get(socket) ?? 0) === 0) socket.destroy()
    }, this.keepAliveTimeoutMs)
    timer.unref()
    this.idleTimers.set(socket, timer)
  }

  private disarm(socket: Socket): void {
    const timer = this.idleTimers.get(socket)
    if (timer) clearTimeout(timer)
    this.idleTimers.delete(socket)
  }
}

const INVALID_BODY = 'Invalid HTTP request received.'
const INVALID_REQUEST =
  'HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n' +
  `content-length: ${INVALID_BODY.length}\r\n\r\n${INVALID_BODY}`
