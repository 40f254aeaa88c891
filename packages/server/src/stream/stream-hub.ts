import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import {
  type ArtifactSource,
  type Clock,
  correlationIdFrom,
  credentialScope,
  type FrameField,
  fillTimelineFromArtifacts,
  forwardedHeaders,
  type MetricsCatalog,
  type PlaybackMessage,
  PlaybackSession,
  parsePlaybackQuery,
  RUN_ID_RE,
  type RunDetail,
  RunNotFoundError,
  type Slot,
  systemClock,
  Timeline,
  TimelineLoader,
  TimelinePool,
  type Upstream,
  UpstreamHttpError,
  upstreamStatusOf,
} from '@hewston-bff/core'
import WebSocket, { WebSocketServer } from 'ws'
import { writeRawError, writeRawResponse } from '../http/connection-guard.js'
import type { Logger } from '../observability/logger.js'
import type { BffMetrics } from '../observability/metrics.js'
import { rejectHandshake } from '../proxy/ws-relay.js'

export interface StreamHubOptions {
  /** The run stream, and run details for the artifact fallback (through the breaker, with the caller's credentials). */
  upstream: Upstream
  /**
   * Whether the caller may see the run, before the upgrade (a remembered authorisation costs no upstream
   * call): unknown runs get a 404 envelope, a 401/403 goes back as the upstream sent it. When the upstream
   * is out and nothing is remembered, the stream opens and the loader reconnects as usual.
   */
  authorize?: (runId: string, caller: { scope: string; headers: Record<string, string> }) => Promise<RunDetail>
  artifacts?: ArtifactSource
  catalog?: MetricsCatalog
  maxConnections: number
  maxConnectionsPerIp: number
  maxMessageBytes: number
  maxMessagesPerSecond: number
  idleTimeoutMs: number
  heartbeatMs: number
  poolBytes: number
  /** The client's address for the per-address limit (honouring `--trust-proxy`); the peer's by default. */
  clientAddress?: (req: IncomingMessage) => string
  /** Runs each upstream run-stream read of a timeline: the limiter shared with the run aggregation (none by default). */
  readSlot?: Slot
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
  /** Set by {@link closeAll}: a handshake that completes after it is told to go elsewhere too. */
  private closing = false

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
    const { fps, speed, fromMs, autoplay, fields } = parsed.value

    const ip = this.options.clientAddress?.(req) ?? req.socket.remoteAddress ?? 'unknown'
    const headers = forwardedHeaders((n) => header(req, n), correlationId)
    // The credential scope is hashed before the upgrade completes: once the socket is open, everything
    // (counters, listeners, the session) is set up in the same tick, so a client that leaves at once or
    // sends `play` right away is neither leaked nor ignored.
    void (async () => {
      const scope = await credentialScope({ authorization: headers.authorization, cookie: headers.cookie })
      let run: RunDetail | undefined
      try {
        run = await this.options.authorize?.(runId, { scope, headers })
      } catch (err) {
        if (refuseHandshake(socket, err, correlationId)) return
        // The upstream is out: the stream still opens (pooled frames, the loader reconnects, the artifacts).
      }
      if (socket.destroyed) return
      // A run nobody plays here needs room for its timeline: past --stream-pool-mb, new runs wait.
      const expectedBytes = expectedTimelineBytes(run)
      if (!this.pool.has(`${scope}:${runId}`) && this.pool.full(expectedBytes)) {
        this.options.metrics.streamsRefused.inc({ reason: 'pool_full' })
        return writeRawError(
          socket,
          503,
          'OVERLOADED',
          'playback buffers are full (--stream-pool-mb): try again shortly',
          null,
          { 'retry-after': '5' },
          correlationId,
        )
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        // The handshake was waiting on the upstream when the shutdown began: same 1012 as everyone else,
        // not a connection cut at the shutdown deadline.
        if (this.closing) return ws.close(1012, 'BFF restarting')
        // Over a limit the client gets a close code and a reason, never a crash.
        if (this.clients.size >= this.options.maxConnections) return ws.close(1013, 'too many streams on this instance')
        if ((this.perIp.get(ip) ?? 0) >= this.options.maxConnectionsPerIp) return ws.close(1008, 'too many streams from this address')
        this.open(ws, { runId, fps, speed, fromMs, autoplay, fields, ip, correlationId, headers, scope, run, expectedBytes })
      })
    })().catch(() => socket.destroy())
  }

  private open(
    ws: WebSocket,
    p: {
      runId: string
      fps: number
      speed: number
      fromMs: number | undefined
      autoplay: boolean
      fields: ReadonlySet<FrameField>
      ip: string
      correlationId: string
      headers: Record<string, string>
      scope: string
      /** The run detail from the handshake's authorisation, when there was one (the artifact fallback needs it). */
      run: RunDetail | undefined
      /** What its timeline will hold, estimated from the run's dates (0 when unknown). */
      expectedBytes: number
    },
  ): void {
    const { metrics, logger } = this.options
    this.clients.add(ws)
    this.perIp.set(p.ip, (this.perIp.get(p.ip) ?? 0) + 1)
    metrics.wsConnections.inc({ kind: 'playback' })
    if (p.fromMs !== undefined) metrics.playbackResumes.inc()
    const { headers, scope } = p
    const key = `${scope}:${p.runId}`
    const { artifacts, catalog, upstream } = this.options
    const loader = this.pool.acquire(
      key,
      () => {
        metrics.playbackUpstreamFetches.inc()
        return new TimelineLoader({
          upstream,
          runId: p.runId,
          headers,
          backoffMs: this.options.backoffMs,
          clock: this.clock,
          onRead: () => metrics.playbackUpstreamReads.inc(),
          readSlot: this.options.readSlot,
          fallback: artifacts
            ? async (timeline) => {
                // Not the upstream again if the handshake already has the detail: the stream just broke.
                const run = p.run ?? (await upstream.getRun(p.runId, { headers }))
                await fillTimelineFromArtifacts(
                  timeline,
                  artifacts,
                  run,
                  run.dataset_id ? await catalog?.minuteBarsPath?.(run.dataset_id) : undefined,
                )
              }
            : undefined,
        })
      },
      p.expectedBytes,
    )
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
      fields: p.fields,
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
      // Addresses with no stream left are forgotten: the map holds only addresses streaming now.
      const left = (this.perIp.get(p.ip) ?? 1) - 1
      if (left > 0) this.perIp.set(p.ip, left)
      else this.perIp.delete(p.ip)
      metrics.wsConnections.dec({ kind: 'playback' })
    })
    ws.on('error', () => {})
  }

  /** Graceful shutdown: clients reconnect elsewhere (1012) and resume with `from`. */
  closeAll(): void {
    this.closing = true
    for (const ws of this.clients) ws.close(1012, 'BFF restarting')
  }

  terminateAll(): void {
    for (const ws of this.clients) ws.terminate()
    this.pool.close()
    this.wss.close()
  }
}

/**
 * What a run's timeline will hold once loaded: the upstream streams one frame per equity row, one per
 * minute from the first day to the last (nights and weekends included). 0 when the run has no dates.
 */
function expectedTimelineBytes(run: RunDetail | undefined): number {
  const from = run?.run_from ? Date.parse(`${run.run_from}T00:00:00Z`) : Number.NaN
  const to = run?.run_to ? Date.parse(`${run.run_to}T00:00:00Z`) : Number.NaN
  if (!(to >= from)) return 0
  return Timeline.expectedBytes((to - from) / 60_000 + 1440)
}

/** Answers the handshake for a run the caller may not see; false when `err` is not such a refusal. */
function refuseHandshake(socket: Duplex, err: unknown, correlationId: string): boolean {
  if (err instanceof RunNotFoundError) {
    writeRawError(socket, 404, err.code, err.message, err.details, {}, correlationId)
    return true
  }
  const status = upstreamStatusOf(err)
  if (err instanceof UpstreamHttpError && (status === 401 || status === 403)) {
    // The upstream's own answer, as the REST endpoints pass it through.
    writeRawResponse(socket, status, err.contentType, err.body, correlationId)
    return true
  }
  return false
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name]
  return Array.isArray(v) ? v.join(', ') : v
}
