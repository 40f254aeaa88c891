import net from 'node:net'

/**
 * The Redis the tests use (`REDIS_URL`, default 127.0.0.1:6379), or undefined when the test command found
 * none (it prints a notice then; under CI=true it fails instead).
 */
export function testRedisUrl(): string | undefined {
  if (process.env.HEWSTON_NO_REDIS === '1') {
    console.warn('\n  NOTICE: Redis not reachable: skipping Redis tests (set REDIS_URL).\n')
    return undefined
  }
  return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
}

export const uniquePrefix = (name: string) => `hewston-test:${name}:${process.pid}:${Date.now()}:`

/**
 * A TCP forwarder in front of the real Redis that a test can cut and restore: "Redis down" without
 * touching the machine's Redis that other tests share.
 */
export class RedisLink {
  private server: net.Server | undefined
  private readonly sockets = new Set<net.Socket>()
  port = 0

  constructor(private readonly target: URL) {}

  async up(): Promise<this> {
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(this.target.port || 6379), this.target.hostname)
      for (const s of [client, upstream]) {
        this.sockets.add(s)
        s.on('close', () => this.sockets.delete(s))
        s.on('error', () => s.destroy())
      }
      client.pipe(upstream).pipe(client)
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()))
    this.port = (server.address() as net.AddressInfo).port
    this.server = server
    return this
  }

  /** Cuts every connection and stops accepting (the port stays reserved for `up()`). */
  async down(): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }
}
