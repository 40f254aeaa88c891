import net from 'node:net'

/** One response as read off the wire (framed by Content-Length or chunked). */
export interface RawResponse {
  /** Status line and headers, as sent. */
  head: string
  status: number
  headers: Record<string, string>
  /** The body, de-chunked, as latin1 text. */
  body: string
}

/**
 * Splits raw HTTP/1.1 response bytes into complete responses: Content-Length and chunked framing, and
 * the rest of the connection for a response with neither (read until close). `headRequest`: the first
 * final response answers a HEAD request (no body, whatever its headers say).
 */
export function parseResponses(text: string, closed = false, headRequest = false): RawResponse[] {
  const out: RawResponse[] = []
  let rest = text
  for (;;) {
    const end = rest.indexOf('\r\n\r\n')
    if (end === -1) return out
    const head = rest.slice(0, end)
    const headers: Record<string, string> = {}
    for (const line of head.split('\r\n').slice(1)) {
      const i = line.indexOf(':')
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
    }
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0)
    let bodyStart = end + 4
    let body = ''
    const bodyless = headRequest && status >= 200 && !out.some((r) => r.status >= 200)
    if (bodyless || status === 304 || status === 204 || (status >= 100 && status < 200)) {
      // no body
    } else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      for (;;) {
        const lineEnd = rest.indexOf('\r\n', bodyStart)
        if (lineEnd === -1) return out
        const size = Number.parseInt(rest.slice(bodyStart, lineEnd), 16)
        if (Number.isNaN(size)) return out
        if (rest.length < lineEnd + 2 + size + 2) return out
        body += rest.slice(lineEnd + 2, lineEnd + 2 + size)
        bodyStart = lineEnd + 2 + size + 2
        if (size === 0) break
      }
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length'])
      if (rest.length < bodyStart + length) return out
      body = rest.slice(bodyStart, bodyStart + length)
      bodyStart += length
    } else {
      if (!closed) return out
      body = rest.slice(bodyStart)
      bodyStart = rest.length
    }
    out.push({ head, status, headers, body })
    rest = rest.slice(bodyStart)
  }
}

/**
 * A raw TCP connection to an HTTP server, for tests that must send exactly the bytes a hostile or odd
 * client would (ambiguous framing, absolute-form targets, pipelining) and see exactly what comes back.
 */
export function rawHttp(url: string) {
  const { hostname, port } = new URL(url)
  const socket = net.connect(Number(port), hostname)
  socket.setNoDelay(true)
  let received = ''
  let closedAt: number | undefined
  const closed = new Promise<void>((resolve) => {
    socket.on('close', () => {
      closedAt = performance.now()
      resolve()
    })
  })
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  socket.on('data', (d) => {
    received += d.toString('latin1')
  })
  socket.on('error', () => {})
  return {
    socket,
    connected,
    closed,
    get received() {
      return received
    },
    get isClosed() {
      return closedAt !== undefined
    },
    write: (s: string | Buffer) =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve()
        socket.write(s, () => resolve())
      }),
    /** Resolves once `n` complete responses arrived, the connection closed, or the timeout passed. */
    responses: async (n: number, timeoutMs = 5000): Promise<RawResponse[]> => {
      const deadline = performance.now() + timeoutMs
      for (;;) {
        const parts = parseResponses(received, closedAt !== undefined)
        if (parts.length >= n || closedAt !== undefined || performance.now() > deadline) return parts
        await new Promise((r) => setTimeout(r, 5))
      }
    },
    close: () => socket.destroy(),
  }
}
