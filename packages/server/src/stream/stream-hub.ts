import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import {
  type ArtifactSource,
  type MetricsCatalog,
  PlaybackSession,
  RUN_ID_RE,
  TimelineLoader,
  TimelinePool,
  type Upstream,
  correlationIdFrom,
  credentialScope,
  fillTimelineFromArtifacts,
} from '@hewston-bff/core'
import WebSocket, { WebSocketServer } from 'ws'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'
import { rejectHandshake } from '../proxy/ws-relay.js'

export interface StreamHubOptions {
  backend: string
  /** Run details for the artifact fallback (through the breaker, with the caller's credentials). */
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
}

/** A client's send buffer above this gets coalesced frames rather than more queued ones. */
const CLIENT_HIGH_WATER = 256 * 1024

/**
 * The enhanced playback stream `/api/v1/runs/{id}/stream` (Story 8.5): translates WebSocket connections
 * to core {@link PlaybackSession}s over pooled {@link TimelineLoader}s — one upstream fetch per run and
 * credential scope — and enforces the limits (connections per instance and per IP, message size and rate,
 * idle clients).
 */
export class StreamHub {
  private readonly wss: WebSocketServer
  readonly pool: TimelinePool
  private readonly perIp = new Map<string, number>()
  private readonly clients = new Set<WebSocket>()

  constructor(private readonly options: StreamHubOptions) {
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: options.maxMessageBytes })
    this.pool = new TimelinePool(options.poolBytes)
  }

  get connections(): number {
    return this.clients.size
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, runId: string): void {
    const correlationId = correlationIdFrom({ get: (n) => header(req, n) })
    const url = new URL(req.url ?? '/', 'http://bff')
    const q = url.searchParams
    const issues: string[] = []
    if (!RUN_ID_RE.test(runId)) issues.push('run id must be 1..64 letters, digits, "-" or "_"')
    const fps = q.has('fps') ? Number(q.get('fps')) : 30
    if (!Number.isInteger(fps) || fps < 1 || fps > 60) issues.push('fps must be an integer 1..60')
    const speed = q.has('speed') ? Number(q.get('speed')) : 60
    if (!(speed > 0) || speed > 1_000_000) issues.push('speed must be a number in (0, 1000000]')
    const from = q.get('from')
    const fromMs = from === null ? undefined : Date.parse(from)
    if (fromMs !== undefined && Number.isNaN(fromMs)) issues.push('from must be an ISO timestamp')
    const autoplayRaw = q.get('autoplay')
    if (autoplayRaw !== null && !['0', '1', 'true', 'false'].includes(autoplayRaw)) issues.push('autoplay must be 1/0/true/false')
    if (issues.length) return rejectHandshake(socket, 422, 'VALIDATION', issues.join('; '), correlationId)

    const ip = req.socket.remoteAddress ?? 'unknown'
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // Over a limit the client gets a close code and a reason, never a crash.
      if (this.clients.size >= this.options.maxConnections) return ws.close(1013, 'too many streams on this instance')
      if ((this.perIp.get(ip) ?? 0) >= this.options.maxConnectionsPerIp) return ws.close(1008, 'too many streams from this address')
      void this.open(ws, req, { runId, fps, speed, fromMs, autoplay: autoplayRaw === '1' || autoplayRaw === 'true', ip, correlationId })
    })
  }

  private async open(
    ws: WebSocket,
    req: IncomingMessage,
    p: { runId: string; fps: number; speed: number; fromMs: number | undefined; autoplay: boolean; ip: string; correlationId: string },
  ): Promise<void> {
    const { metrics, logger } = this.options
    this.clients.add(ws)
    this.perIp.set(p.ip, (this.perIp.get(p.ip) ?? 0) + 1)
    metrics.wsConnections.inc({ kind: 'playback' })
    const headers: Record<string, string> = { 'x-correlation-id': p.correlationId }
    for (const n of ['authorization', 'cookie', 'traceparent']) {
      const v = header(req, n)
      if (v) headers[n] = v
    }
    const scope = await credentialScope({ authorization: headers.authorization, cookie: headers.cookie })
    const key = `${scope}:${p.runId}`
    const { artifacts, catalog, upstream } = this.options
    const loader = this.pool.acquire(key, () => {
      metrics.playbackUpstreamFetches.inc()
      return new TimelineLoader({
          backendUrl: this.options.backend,
          runId: p.runId,
          headers,
          backoffMs: this.options.backoffMs,
          fallback: artifacts
            ? async (timeline) => {
                const run = await upstream.getRun(p.runId, { headers })
                await fillTimelineFromArtifacts(timeline, artifacts, run, await catalog?.minuteBarsPath?.(run.dataset_id))
              }
            : undefined,
      })
    })
    const send = (m: Record<string, unknown>) => {
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
    })
    logger.info({ correlation_id: p.correlationId, run_id: p.runId, fps: p.fps, speed: p.speed }, 'playback stream opened')

    let windowStart = Date.now()
    let inWindow = 0
    ws.on('message', (data, isBinary) => {
      metrics.wsMessages.inc({ direction: 'client_to_bff' })
      const now = Date.now()
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
    let silentSince = Date.now()
    const pinger = setInterval(() => {
      if (alive) silentSince = Date.now()
      else if (Date.now() - silentSince >= this.options.idleTimeoutMs) {
        ws.close(1001, 'idle timeout')
        setTimeout(() => ws.terminate(), 1000).unref()
        return
      }
      alive = false
      if (ws.readyState === WebSocket.OPEN) ws.ping()
    }, this.options.heartbeatMs)

    ws.on('close', () => {
      clearInterval(pinger)
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
