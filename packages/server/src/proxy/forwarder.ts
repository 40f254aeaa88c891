import { Agent, type ClientRequest, type IncomingMessage, request, type ServerResponse } from 'node:http'
import { endToEndHeaders } from './hop-by-hop.js'

/** How the body of a client request is framed; it is forwarded with exactly the same framing. */
export type BodyFraming = 'none' | 'length' | 'chunked'

export interface ForwardedRequest {
  method: string
  /** Origin-form path and query, exactly as checked by the guard. */
  path: string
  framing: BodyFraming
  /** The client's request: its raw headers are filtered, its body streamed. */
  source: IncomingMessage
  correlationId: string
  /** A streamed (chunked) body longer than this is cut off: outcome `too-large`. */
  maxBodyBytes: number
  /** Called as the upstream's response head arrives, before it is relayed (for logs and metrics). */
  onAnswer?: (status: number, upstreamMs: number) => void
}

/** How one exchange ended, as far as the circuit breaker and the metrics are concerned. */
export type ExchangeOutcome =
  /** The upstream answered; its response is being (or was) relayed to the client as is. */
  | { kind: 'answered'; status: number; upstreamMs: number; retried: boolean }
  /** The upstream failed before answering: refused, reset, timed out. Counts against the upstream. */
  | { kind: 'failed'; reason: 'connect' | 'reset' | 'timeout'; error: Error; retried: boolean }
  /** The client went away or broke its own request body first: nobody to answer, nothing to count. */
  | { kind: 'client-gone' }
  /** The client streamed more body than allowed before the upstream answered (its fault, not counted). */
  | { kind: 'too-large' }

export interface ForwarderOptions {
  backend: URL
  /** Time the upstream has to send response headers. */
  responseTimeoutMs: number
  /**
   * Idle keep-alive sockets are closed after this long — before the upstream's own idle timeout (uvicorn:
   * 5 s), so the BFF never picks a socket the upstream is about to close.
   */
  idleSocketMs: number
  maxSockets: number
}

/** Methods whose requests may be sent twice (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'])
/** Request headers that are the BFF's own business: Node already answered `Expect: 100-continue`. */
const REQUEST_DROP = new Set(['expect', 'x-correlation-id'])
/** Response headers that are re-framed by the BFF's own server (and the correlation id it already set). */
const RESPONSE_DROP = new Set(['x-correlation-id'])
/** Answers up to this size (by Content-Length) are relayed in one write. */
const SMALL_BODY_BYTES = 64 * 1024
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'])

/**
 * The HTTP engine of the transparent proxy: one client request, at most one upstream request (two only
 * for a safe retry), the response relayed byte for byte.
 *
 * - Framing is never ambiguous upstream: a body goes with the framing it arrived with (`Content-Length`,
 *   or `chunked` re-encoded canonically), and any request with a body, or with a non-idempotent method,
 *   gets a connection of its own that the BFF closes after the exchange — bytes of one request can never
 *   be read as the start of another on a shared socket, and no stale pooled socket can swallow a POST.
 *   That connection is not announced as `Connection: close`: an upstream that answers before reading the
 *   whole body (uvicorn on `/healthz`) then drains the body instead of closing on it, which would reset the
 *   connection and destroy its own answer in flight.
 * - Bodiless idempotent requests use a keep-alive pool whose idle sockets are dropped before the
 *   upstream drops them; when a reused socket still fails before any response (the upstream closed it
 *   after an unhandled 500, or its idle timer won the race), the request is sent once more on a fresh
 *   connection, so the client gets the answer instead of a 502.
 * - Hop-by-hop headers never cross; everything else, credentials included, passes untouched.
 */
export class UpstreamForwarder {
  private readonly pool: Agent
  /**
   * Sockets that already carried an exchange. `ClientRequest.reusedSocket` is not enough: Node sets it
   * only when a request finds an idle socket, not when a queued request is handed one that just freed up
   * — exactly the socket an upstream is about to close after its 500.
   */
  private readonly used = new WeakSet<object>()
  private readonly host: string
  private readonly port: number

  constructor(private readonly options: ForwarderOptions) {
    this.host = options.backend.hostname.replace(/^\[|\]$/g, '')
    this.port = Number(options.backend.port) || 80
    this.pool = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets,
      maxFreeSockets: Math.min(options.maxSockets, 64),
      timeout: options.idleSocketMs,
      scheduling: 'lifo',
    })
  }

  /** The pool, for shutdown. */
  get agent(): Agent {
    return this.pool
  }

  /**
   * Sends `fr` upstream and relays the answer into `res`. Writes nothing to `res` unless the upstream
   * answered: on a failure the caller answers with its own envelope.
   */
  exchange(fr: ForwardedRequest, res: ServerResponse): Promise<ExchangeOutcome> {
    const pooled = fr.framing === 'none' && IDEMPOTENT.has(fr.method)
    const headers = this.headersFor(fr, pooled)
    return new Promise<ExchangeOutcome>((resolve) => {
      const started = performance.now()
      let settled = false
      let clientGone = false
      let current: ClientRequest | undefined
      let timer: NodeJS.Timeout | undefined
      const settle = (outcome: ExchangeOutcome) => {
        if (settled) return
        settled = true
        if (timer) clearTimeout(timer)
        resolve(outcome)
      }
      const onClientGone = () => {
        if (res.writableFinished) return
        clientGone = true
        current?.destroy()
        settle({ kind: 'client-gone' })
      }
      res.once('close', onClientGone)
      if (fr.framing !== 'none') fr.source.once('error', onClientGone)

      const attempt = (retry: boolean) => {
        const upstreamReq = request({
          host: this.host,
          port: this.port,
          method: fr.method,
          path: fr.path,
          headers: retry && pooled ? this.headersFor(fr, false) : headers,
          agent: pooled && !retry ? this.pool : false,
          setHost: false,
        })
        current = upstreamReq
        let answered = false
        let reused = false
        upstreamReq.once('socket', (socket) => {
          reused = this.used.has(socket)
          this.used.add(socket)
        })
        upstreamReq.once('response', (upstreamRes) => {
          answered = true
          if (timer) clearTimeout(timer)
          if (clientGone) return void upstreamRes.destroy()
          fr.onAnswer?.(upstreamRes.statusCode ?? 0, performance.now() - started)
          try {
            this.relay(upstreamRes, res, fr.correlationId)
          } catch (error) {
            // A response head Node refuses to write on (e.g. control characters in the reason phrase).
            upstreamRes.destroy()
            return settle({ kind: 'failed', reason: 'reset', error: error as Error, retried: retry })
          }
          settle({ kind: 'answered', status: upstreamRes.statusCode ?? 0, upstreamMs: performance.now() - started, retried: retry })
        })
        upstreamReq.on('error', (error: NodeJS.ErrnoException) => {
          // After the answer started, errors are the tail of a body the upstream no longer wanted
          // (it answered early and closed): the client already has its response.
          if (answered || settled) return
          if (clientGone) return settle({ kind: 'client-gone' })
          if (timedOut) return settle({ kind: 'failed', reason: 'timeout', error, retried: retry })
          if (!retry && pooled && reused) return attempt(true)
          const reason = error.code && CONNECT_ERRORS.has(error.code) ? 'connect' : 'reset'
          settle({ kind: 'failed', reason, error, retried: retry })
        })
        if (fr.framing === 'none') upstreamReq.end()
        else if (!retry) {
          if (fr.framing === 'chunked') {
            let size = 0
            fr.source.on('data', (chunk: Buffer) => {
              size += chunk.length
              if (size > fr.maxBodyBytes && !answered && !settled) {
                fr.source.unpipe(upstreamReq)
                upstreamReq.destroy()
                settle({ kind: 'too-large' })
              }
            })
          }
          fr.source.pipe(upstreamReq)
        }
      }
      let timedOut = false
      timer = setTimeout(() => {
        timedOut = true
        current?.destroy(new Error(`upstream sent no response within ${this.options.responseTimeoutMs} ms`))
      }, this.options.responseTimeoutMs)
      attempt(false)
    })
  }

  private headersFor(fr: ForwardedRequest, pooled: boolean): string[] {
    const headers = endToEndHeaders(fr.source.rawHeaders, REQUEST_DROP)
    if (fr.source.headers.host === undefined) headers.push('Host', this.options.backend.host)
    headers.push('x-correlation-id', fr.correlationId)
    if (fr.framing === 'chunked') headers.push('Transfer-Encoding', 'chunked')
    // Without an agent Node would announce `Connection: close`; the BFF closes this connection itself.
    if (!pooled) headers.push('Connection', 'keep-alive')
    return headers
  }

  private relay(upstreamRes: IncomingMessage, res: ServerResponse, correlationId: string): void {
    const headers = endToEndHeaders(upstreamRes.rawHeaders, RESPONSE_DROP)
    if (!res.hasHeader('x-correlation-id')) headers.push('x-correlation-id', correlationId)
    const length = Number(upstreamRes.headers['content-length'] ?? Number.NaN)
    if (length <= SMALL_BODY_BYTES) return this.relaySmall(upstreamRes, res, headers)
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, headers)
    // A streamed answer (an event stream) may stay silent for a while after its head: send the head now.
    if (upstreamRes.headers['content-length'] === undefined) res.flushHeaders()
    // An upstream that dies mid-body: end the client's response abruptly too, so it can tell.
    upstreamRes.once('close', () => {
      if (!upstreamRes.complete) res.destroy()
    })
    upstreamRes.on('error', () => res.destroy())
    res.once('close', () => {
      if (!upstreamRes.complete) upstreamRes.destroy()
    })
    upstreamRes.pipe(res)
  }

  /**
   * A small answer of known length is gathered and written in one go: head and body in a single write to
   * the client instead of two or three, the largest CPU cost of a pass-through request.
   */
  private relaySmall(upstreamRes: IncomingMessage, res: ServerResponse, headers: string[]): void {
    const chunks: Buffer[] = []
    upstreamRes.on('data', (chunk: Buffer) => chunks.push(chunk))
    upstreamRes.once('end', () => {
      if (res.destroyed) return
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.statusMessage, headers)
      res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks))
    })
    upstreamRes.once('close', () => {
      if (!upstreamRes.complete) res.destroy()
    })
    res.once('close', () => {
      if (!upstreamRes.complete) upstreamRes.destroy()
    })
  }

  close(): void {
    this.pool.destroy()
  }
}
