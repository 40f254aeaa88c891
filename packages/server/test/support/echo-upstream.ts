import { createServer, type IncomingMessage, type Server } from 'node:http'

export interface SeenRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

/**
 * A real HTTP server that records what reaches it and answers with headers the proxy must pass back
 * (Set-Cookie, a custom header). `/sse-hold` sends one event and then holds the stream open until
 * `release()` — to prove events are flushed one by one.
 */
export class EchoUpstream {
  readonly seen: SeenRequest[] = []
  private server: Server | undefined
  private held: (() => void)[] = []
  url = ''

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        this.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() })
        if (req.url?.startsWith('/backtests/sse-hold')) {
          res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' })
          res.write('event: frame\ndata: {"n": 1}\n\n')
          this.held.push(() => res.end('event: end\ndata: {}\n\n'))
          return
        }
        const status = req.url?.startsWith('/backtests/unauthorized') ? 401 : 200
        res.writeHead(status, {
          'content-type': 'application/json',
          'set-cookie': ['session=abc; HttpOnly', 'theme=dark'],
          'x-upstream-custom': 'kept',
        })
        res.end(JSON.stringify({ ok: status === 200 }))
      })
    })
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', () => r()))
    const addr = this.server.address()
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`
    return this
  }

  release(): void {
    for (const h of this.held.splice(0)) h()
  }

  last(): SeenRequest {
    return this.seen.at(-1) as SeenRequest
  }

  async close(): Promise<void> {
    this.release()
    this.server?.closeAllConnections()
    await new Promise<void>((r) => this.server?.close(() => r()))
  }
}
