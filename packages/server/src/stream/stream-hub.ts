import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import {
  type ArtifactSource,
  type Clock,
  correlationIdFrom,
  credentialScope,
  fillTimelineFromArtifacts,
  forwardedHeaders,
  type MetricsCatalog,
  type PlaybackMessage,
  PlaybackSession,
  parsePlaybackQuery,
  RUN_ID_RE,
  systemClock,
  TimelineLoader,
  TimelinePool,
  type Upstream,
} from '@hewston-bff/core'
import WebSocket, { WebSocketServer } from 'ws'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'
import { rejectHandshake } from '../proxy/ws-relay.js'

export interface StreamHubOptions {
  /** The run stream, and run details for the artifact fallback (through the breaker, with the caller's credentials). */
  upstream: Upstream
  artifacts?: ArtifactSource
  catalog?: MetricsCatalog
  maxConnections: number
  maxConnectionsPerIp: number
  maxMessageBytes: number
  maxMessagesPerSecond: number
  idleTimeoutMs: number
  heartbeatMs: number
  poolBytes: number
  backoffMs?: readonly number[]
  metrics: BffMetrics
  logger: Logger
  /** Time and timers (message-rate windows, pings, pacing); the system clock by default. */
  clock?: Clock
}

/** A client's send buffer above this gets coalesced frames rather than more queued ones. */
const CLIENT_HIGH_WATER = 256 * 1024

/**
 * The enhanced playback stream `/api/v1/runs/{id}/stream`: translates WebSocket connections
 * to core {@link PlaybackSession}s over pooled {@link TimelineLoader}s — one upstream fetch per run and
 * credential scope — and enforces the limits (connections per instance and per IP, message size and rate,
 * idle clients).
 */
export class StreamHub {
  private readonly wss: WebSocketServer
  readonly pool: TimelinePool
  private readonly perIp = new Map<string, number>()
  private readonly clients = new Set<WebSocket>()

  private readonly clock: Clock

  constructor(private readonly options: StreamHubOptions) {
    this.clock = options.clock ?? systemClock
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: options.maxMessageBytes })
    this.pool = new TimelinePool(options.poolBytes, this.clock)
  }

  get connections(): number {
    return this.clients.size
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, runId: string): void {
    const correlationId = correlationIdFrom({ get: (n) => header(req, n) })
    const search = (req.url ?? '').includes('?') ? (req.url as string).slice((req.url as string).indexOf('?')) : ''
    const parsed = parsePlaybackQuery(new URLSearchParams(search))
    const issues = parsed.ok ? [] : parsed.issues
    if (!RUN_ID_RE.test(runId)) issues.unshift('run id must be 1..64 letters, digits, "-" or "_"')
    if (!parsed.ok || issues.length) return rejectHandshake(socket, 422, 'VALIDATION', issues.join('; '), correlationId)
    const { fps, speed, fromMs, autoplay } = parsed.value

    const ip = req.socket.remoteAddress ?? 'unknown'
    const headers = forwardedHeaders((n) => header(req, n), correlationId)
    // The credential scope is hashed before the upgrade completes: once the socket is open, everything
    // (counters, listeners, the session) is set up in the same tick, so a client that leaves at once or
    // sends `play` right away is neither leaked nor ignored.
    void credentialScope({ authorization: headers.authorization, cookie: headers.cookie }).then(
      (scope) => {
        if (socket.destroyed) return
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          // Over a limit the client gets a close code and a reason, never a crash.
          if (this.clients.size >= this.options.maxConnections) return ws.close(1013, 'too many streams on this instance')
          if ((this.perIp.get(ip) ?? 0) >= this.options.maxConnectionsPerIp) return ws.close(1008, 'too many streams from this address')
          this.open(ws, { runId, fps, speed, fromMs, autoplay, ip, correlationId, headers, scope })
        })
      },
      () => socket.destroy(),
    )
  }

  private open(
    ws: WebSocket,
    p: {
      runId: string
      fps: number
      speed: number
      fromMs: number | undefined
      autoplay: boolean
      ip: string
      correlationId: string
      headers: Record<string, string>
      scope: string
    },
  ): void {
    const { metrics, logger } = this.options
    this.clients.add(ws)
    this.perIp.set(p.ip, (this.perIp.get(p.ip) ?? 0) + 1)
    metrics.wsConnections.inc({ kind: 'playback' })
    const { headers, scope } = p
    const key = `${scope}:${p.runId}`
    const { artifacts, catalog, upstream } = this.options
    const loader = this.pool.acquire(key, () => {
      metrics.playbackUpstreamFetches.inc()
      return new TimelineLoader({
        upstream,
        runId: p.runId,
        headers,
        backoffMs: this.options.backoffMs,
        clock: this.clock,
        fallback: artifacts
          ? async (timeline) => {
              const run = await upstream.getRun(p.runId, { headers })
              await fillTimelineFromArtifacts(timeline, artifacts, run, await catalog?.minuteBarsPath?.(run.dataset_id))
            }
          : undefined,
      })
    })
    const send = (m: PlaybackMessage) => {
      if (ws.readyState !== WebSocket.OPEN) return
      ws.send(JSON.stringify(m))
      metrics.wsMessages.inc({ direction: 'bff_to_client' })
    }
    const session = new PlaybackSession(loader, {
      fps: p.fps,
      speed: p.speed,
      fromMs: p.fromMs,
      autoplay: p.autoplay,
      heartbeatMs: this.options.heartbeatMs,
      send,
      canSend: () => ws.bufferedAmount < CLIENT_HIGH_WATER,
      clock: this.clock,
    })
    logger.info({ correlation_id: p.correlationId, run_id: p.runId, fps: p.fps, speed: p.speed }, 'playback stream opened')

    let windowStart = this.clock.now()
    let inWindow = 0
    ws.on('message', (data, isBinary) => {
      metrics.wsMessages.inc({ direction: 'client_to_bff' })
      const now = this.clock.now()
      if (now - windowStart >= 1000) {
        windowStart = now
        inWindow = 0
      }
      if (++inWindow > this.options.maxMessagesPerSecond) return ws.close(1008, 'too many messages per second')
      if (isBinary) return send({ t: 'err', code: 'VALIDATION', msg: 'binary messages are not supported' })
      session.handle(data.toString())
    })

    // Protocol pings every heartbeat; a client that stops answering is closed as idle.
    let alive = true
    ws.on('pong', () => {
      alive = true
    })
    let silentSince = this.clock.now()
    const pinger = this.clock.setInterval(() => {
      if (alive) silentSince = this.clock.now()
      else if (this.clock.now() - silentSince >= this.options.idleTimeoutMs) {
        ws.close(1001, 'idle timeout')
        this.clock.setTimeout(() => ws.terminate(), 1000)
        return
      }
      alive = false
      if (ws.readyState === WebSocket.OPEN) ws.ping()
    }, this.options.heartbeatMs)

    ws.on('close', () => {
      this.clock.clearInterval(pinger)
      session.close()
      this.pool.release(key)
      this.clients.delete(ws)
      this.perIp.set(p.ip, Math.max(0, (this.perIp.get(p.ip) ?? 1) - 1))
      metrics.wsConnections.dec({ kind: 'playback' })
    })
    ws.on('error', () => {})
  }

  /** Graceful shutdown: clients reconnect elsewhere (1012) and resume with `from`. */
  closeAll(): void {
    for (const ws of this.clients) ws.close(1012, 'BFF restarting')
  }

  terminateAll(): void {
    for (const ws of this.clients) ws.terminate()
    this.pool.close()
    this.wss.close()
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}
