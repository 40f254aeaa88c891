import { createServer, type Server } from 'node:http'
import type { Socket } from 'node:net'

/** One request as the capture upstream parsed it. */
export interface CapturedRequest {
  tag: string | undefined
  method: string
  url: string
  rawHeaders: string[]
  body: Buffer
  /** Which upstream connection carried it (in arrival order). */
  connection: number
}

/**
 * An upstream that records everything it receives — every byte per connection and every request Node's
 * strict parser reads from them — and answers each request with an echo of the request's `x-tag`, method,
 * target and body size, so a client can tell whether the response it got was made for its own request.
 * A request it cannot parse is counted (the BFF must never send one).
 */
export class CaptureUpstream {
  readonly requests: CapturedRequest[] = []
  readonly bytes: Buffer[] = []
  parseErrors = 0
  private server: Server | undefined
  private readonly sockets = new Set<Socket>()

  async start(): Promise<string> {
    const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks)
        const tag = req.headers['x-tag'] as string | undefined
        this.requests.push({
          tag,
          method: req.method ?? '',
          url: req.url ?? '',
          rawHeaders: req.rawHeaders,
          body,
          connection: (req.socket as Socket & { captureId: number }).captureId,
        })
        const echo = JSON.stringify({ tag: tag ?? null, method: req.method, url: req.url, body_bytes: body.length })
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(echo) })
        res.end(echo)
      })
    })
    server.on('connection', (socket: Socket & { captureId?: number }) => {
      socket.captureId = this.bytes.length
      const index = this.bytes.length
      this.bytes.push(Buffer.alloc(0))
      socket.on('data', (d: Buffer) => {
        this.bytes[index] = Buffer.concat([this.bytes[index] as Buffer, d])
      })
      this.sockets.add(socket)
      socket.once('close', () => this.sockets.delete(socket))
    })
    server.on('clientError', (_err, socket) => {
      this.parseErrors++
      socket.destroy()
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
    this.server = server
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`
  }

  /** The requests that carried `tag`. */
  withTag(tag: string): CapturedRequest[] {
    return this.requests.filter((r) => r.tag === tag)
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve())
  }
}

/** Framing problems of one request's raw headers (empty: unambiguous). */
export function framingProblems(rawHeaders: readonly string[]): string[] {
  const problems: string[] = []
  const names = rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase())
  const values = (name: string) => rawHeaders.filter((_, i) => i % 2 === 1 && names[(i - 1) / 2] === name)
  const cl = values('content-length')
  const te = values('transfer-encoding')
  if (cl.length > 1) problems.push(`${cl.length} Content-Length headers`)
  if (te.length > 1) problems.push(`${te.length} Transfer-Encoding headers`)
  if (cl.length && te.length) problems.push('Content-Length together with Transfer-Encoding')
  if (te.length && te[0] !== 'chunked') problems.push(`Transfer-Encoding "${te[0]}"`)
  for (const hop of ['connection', 'keep-alive', 'te', 'upgrade', 'proxy-connection', 'trailer']) {
    if (hop === 'connection' && values(hop).every((v) => v === 'keep-alive')) continue
    if (names.includes(hop)) problems.push(`hop-by-hop header ${hop}: ${values(hop).join(', ')}`)
  }
  return problems
}
