import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { WebSocketServer } from 'ws'
import { Workdir } from './data/workdir.js'
import { type FaultConfig, matchesRoute } from './faults.js'
import { Cors, UPSTREAM_CORS_ORIGINS } from './http/cors.js'
import { OPENAPI_JSON } from './http/openapi.js'
import { internalError, json, type Reply, rawJson, Unhandled, writeReply } from './http/reply.js'
import { UvicornConnections } from './http/uvicorn-connections.js'
import { floatParam, QueryErrors } from './py-params.js'
import { createBacktest, getBacktest, listBacktests, PendingRuns } from './routes/backtests.js'
import { barsRoute } from './routes/bars.js'
import type { BackendStats, StreamContext } from './stream/context.js'
import { streamSse } from './stream/sse.js'
import { wsSession } from './stream/ws.js'

export interface ReferenceBackendOptions {
  /** The Hewston working directory (the folder holding `data/`). */
  root: string
  /** 0 (the default) picks a free port; a restart keeps the port it got. */
  port?: number
  host?: string
  /** Extra allowed CORS origins, added to the upstream's own two Vite origins. */
  corsOrigins?: readonly string[]
  faults?: FaultConfig
  /** WS heartbeat interval (the upstream's is 5 s). */
  heartbeatMs?: number
  /** Largest accepted request body; larger ones get a 413. */
  maxBodyBytes?: number
  /** Idle keep-alive connections are closed silently after this long (uvicorn's `timeout_keep_alive`: 5000). */
  keepAliveTimeoutMs?: number
}

interface Ctx {
  req: IncomingMessage
  res: ServerResponse
  url: URL
  params: string[]
}

type Handler = (ctx: Ctx) => Promise<Reply | undefined>

interface Route {
  template: string
  pattern: RegExp
  /** Methods in the order the upstream lists them in `allow`. */
  allow: string
  handlers: Record<string, Handler>
}

/**
 * A Hewston-compatible upstream on a real socket: the REST/SSE/WS contract of the FastAPI backend, served
 * from a Hewston working directory read-only, with fault injection and stop/restart for tests.
 */
export class ReferenceBackend {
  readonly wd: Workdir
  readonly stats: BackendStats = { requests: {}, sseStreams: 0, wsConnections: 0, wsPlays: 0, framesSent: 0 }
  private faultConfig: FaultConfig
  private readonly cors: Cors
  /** In-process memory, like the upstream's: lost on stop/restart. */
  private pending = new PendingRuns()
  private readonly routes: Route[]
  private readonly streamCtx: StreamContext
  private server: Server | undefined
  private wss: WebSocketServer | undefined
  private readonly sockets = new Set<Socket>()
  private boundPort: number
  readonly host: string
  private readonly connections: UvicornConnections

  constructor(private readonly options: ReferenceBackendOptions) {
    this.wd = new Workdir(options.root)
    this.faultConfig = { ...options.faults }
    this.cors = new Cors([...UPSTREAM_CORS_ORIGINS, ...(options.corsOrigins ?? [])])
    this.boundPort = options.port ?? 0
    this.host = options.host ?? '127.0.0.1'
    this.streamCtx = { wd: this.wd, faults: () => this.faultConfig, stats: this.stats, heartbeatMs: options.heartbeatMs ?? 5000 }
    this.routes = this.buildRoutes()
    this.connections = new UvicornConnections(options.keepAliveTimeoutMs ?? 5000)
  }

  get port(): number {
    return this.boundPort
  }

  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.boundPort}`
  }

  get running(): boolean {
    return this.server !== undefined
  }

  get faults(): FaultConfig {
    return this.faultConfig
  }

  /** Replaces the active faults (pass `{}` to clear them). */
  setFaults(faults: FaultConfig): void {
    this.faultConfig = { ...faults }
  }

  async start(): Promise<this> {
    if (this.server) return this
    const server = createServer(UvicornConnections.serverOptions, (req, res) => {
      if (this.connections.onRequest(req, res)) void this.dispatch(req, res)
    })
    this.connections.attach(server)
    const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20 })
    server.on('upgrade', (req, socket, head) => {
      this.connections.onUpgrade(socket as Socket)
      this.upgrade(wss, req, socket as Socket, head)
    })
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.boundPort, this.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const addr = server.address()
    if (addr && typeof addr === 'object') this.boundPort = addr.port
    this.server = server
    this.wss = wss
    return this
  }

  /** Stops abruptly, like a crashed process: open connections (streams included) are destroyed. */
  async stop(): Promise<void> {
    const server = this.server
    if (!server) return
    this.server = undefined
    this.pending = new PendingRuns()
    for (const client of this.wss?.clients ?? []) client.terminate()
    this.wss?.close()
    for (const s of this.sockets) s.destroy()
    this.sockets.clear()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** Stop, then start again on the same port. */
  async restart(): Promise<void> {
    await this.stop()
    await this.start()
  }

  /** Stop and release the catalog. */
  async close(): Promise<void> {
    await this.stop()
    this.wd.catalog.close()
  }

  private buildRoutes(): Route[] {
    const wd = this.wd
    const bars =
      (kind: Parameters<typeof barsRoute>[0]): Handler =>
      async ({ url }) =>
        barsRoute(kind, url.searchParams, wd)
    const r = (template: string, allow: string, handlers: Record<string, Handler>): Route => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[a-z_]+\}/g, '([^/]+)')}$`),
      allow,
      handlers,
    })
    return [
      r('/healthz', 'GET', { GET: async () => rawJson(200, '{"status":"ok"}') }),
      r('/openapi.json', 'GET', { GET: async () => rawJson(200, OPENAPI_JSON) }),
      r('/backtests', 'POST', {
        GET: async ({ url }) => listBacktests(url.searchParams, wd),
        POST: async ({ req }) => {
          const body = await readBody(req, this.options.maxBodyBytes ?? 1 << 20)
          if (body === undefined) return json(413, { detail: 'Request body too large' })
          return createBacktest(req, body, wd, this.pending)
        },
      }),
      r('/backtests/{run_id}', 'GET', { GET: async ({ params }) => getBacktest(params[0] as string, wd) }),
      r('/backtests/{run_id}/stream', 'GET', {
        GET: async ({ req, res, url, params }) => {
          const errors = new QueryErrors()
          floatParam(url.searchParams, 'speed', errors, 1)
          if (errors.failed) return json(422, { detail: errors.items as never })
          // Starlette's CORS middleware decorates streaming responses too.
          await streamSse(res, params[0] as string, this.streamCtx, this.cors.simpleHeaders(req))
          return undefined
        },
      }),
      r('/bars/daily', 'GET', { GET: bars('daily') }),
      r('/bars/minute', 'GET', { GET: bars('minute') }),
      r('/bars/minute_decimated', 'GET', { GET: bars('minute_decimated') }),
      r('/bars/hour', 'GET', { GET: bars('hour') }),
    ]
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => {})
    const method = (req.method ?? 'GET').toUpperCase()
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://upstream')
    } catch {
      return writeReply(res, json(404, { detail: 'Not Found' }))
    }
    const faults = this.faultConfig
    if (faults.latencyMs) await sleep(faults.latencyMs)
    for (const fault of faults.routes ?? []) {
      if (!matchesRoute(fault, method, url.pathname)) continue
      if (fault.times !== undefined) {
        if (fault.times <= 0) continue
        fault.times--
      }
      if (fault.status === 'reset') return void req.socket.destroy()
      if (fault.status === 'hang') return
      // A bare injected 500 is a crashing route: uvicorn's plain-text 500, then the connection goes.
      if (fault.status === 500 && fault.body === undefined) {
        this.connections.closeAfter(res)
        return writeReply(res, internalError())
      }
      return writeReply(res, {
        status: fault.status,
        body: fault.body ?? '{"detail":"Injected fault"}',
        contentType: fault.contentType ?? 'application/json',
      })
    }

    const preflight = this.cors.preflight(req)
    if (preflight) return writeReply(res, preflight)
    let reply: Reply | undefined
    try {
      reply = await this.route(method, url, req, res)
    } catch (err) {
      // A client that went away mid-request gets no answer (and is not an error of ours).
      if (res.destroyed || req.socket.destroyed) return
      if (!(err instanceof Unhandled)) console.error('[reference-backend] unhandled', err)
      reply = internalError()
    }
    if (reply?.status === 500) this.connections.closeAfter(res)
    if (!reply) return
    writeReply(res, reply, reply.bypassCors ? {} : this.cors.simpleHeaders(req))
  }

  private async route(method: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<Reply | undefined> {
    const path = url.pathname
    for (const route of this.routes) {
      const m = route.pattern.exec(path)
      if (!m) continue
      const handler = route.handlers[method]
      if (!handler) return json(405, { detail: 'Method Not Allowed' }, { allow: route.allow })
      const key = `${method} ${route.template}`
      this.stats.requests[key] = (this.stats.requests[key] ?? 0) + 1
      return handler({ req, res, url, params: m.slice(1).map(safeDecode) })
    }
    // Starlette's redirect_slashes: an absolute location built from the request's Host.
    if (path.endsWith('/') && path !== '/' && this.routes.some((r) => r.pattern.test(path.slice(0, -1)))) {
      const host = req.headers.host ?? `${this.host}:${this.boundPort}`
      return { status: 307, body: '', headers: { location: `http://${host}${path.slice(0, -1)}${url.search}` } }
    }
    return json(404, { detail: 'Not Found' })
  }

  private upgrade(wss: WebSocketServer, req: IncomingMessage, socket: Socket, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0] as string
    const m = /^\/backtests\/([^/]+)\/ws$/.exec(path)
    if (!m) {
      socket.end('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n')
      return
    }
    const runId = safeDecode(m[1] as string)
    const go = () => wss.handleUpgrade(req, socket, head, (ws) => wsSession(ws, runId, this.streamCtx))
    const latency = this.faultConfig.latencyMs
    if (latency) setTimeout(go, latency)
    else go()
  }
}

/** Creates and starts a reference backend. */
export async function startReferenceBackend(options: ReferenceBackendOptions): Promise<ReferenceBackend> {
  return new ReferenceBackend(options).start()
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** The request body, or undefined when it exceeds `limit`. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > limit) {
        resolve(undefined)
        req.resume()
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}
