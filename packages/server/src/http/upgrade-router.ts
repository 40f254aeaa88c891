import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Logger } from '../observability/logger.js'
import { upstreamPathOf } from '../proxy/paths.js'
import type { WsRelay } from '../proxy/ws-relay.js'
import type { StreamHub } from '../stream/stream-hub.js'
import { writeRawError } from './connection-guard.js'
import { parseRequestTarget } from './request-target.js'

const PLAYBACK = /^\/api\/v1\/runs\/([^/]+)\/stream$/
const RELAYED = /^\/backtests\/([^/]+)\/ws$/

/**
 * WebSocket upgrades: `/api/v1/runs/{id}/stream` to the playback hub, the upstream's `/backtests/{id}/ws`
 * (prefixed or not) to the transparent relay, anything else a 404 envelope. Never throws: an exception in
 * an upgrade handler would take the whole process down.
 */
export function upgradeRouter(deps: { streams: StreamHub; relay: WsRelay; logger: Logger }) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    try {
      const target = parseRequestTarget(req.url ?? '/')
      if (!target) return writeRawError(socket, 400, 'BAD_REQUEST', 'invalid request target')
      const playback = PLAYBACK.exec(target.path)
      if (playback) {
        let runId: string
        try {
          runId = decodeURIComponent(playback[1] as string)
        } catch {
          return writeRawError(socket, 400, 'BAD_REQUEST', 'malformed escape in the run id')
        }
        return deps.streams.handleUpgrade(req, socket, head, runId)
      }
      const upstreamPath = upstreamPathOf(target.path)
      if (!RELAYED.test(upstreamPath)) return writeRawError(socket, 404, 'NOT_FOUND', `no WebSocket route for ${target.path}`)
      deps.relay.handleUpgrade(req, socket, head, upstreamPath, target.search)
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message }, 'bad WebSocket upgrade')
      writeRawError(socket, 400, 'BAD_REQUEST', 'malformed WebSocket request')
    }
  }
}
