import type { ServerResponse } from 'node:http'
import { type PyValue, pyDumps } from '../py-json.js'

/** A complete (non-streamed) response, as a handler returns it. */
export interface Reply {
  status: number
  body: string
  contentType?: string
  headers?: Record<string, string>
  /** Unhandled-exception replies bypass CORS, as Starlette's ServerErrorMiddleware sits outside it. */
  bypassCors?: boolean
}

/** Compact JSON as Starlette's JSONResponse writes it. */
export const json = (status: number, value: PyValue, headers?: Record<string, string>): Reply => ({
  status,
  body: pyDumps(value),
  contentType: 'application/json',
  headers,
})

/** A body that is already serialised JSON text. */
export const rawJson = (status: number, body: string): Reply => ({ status, body, contentType: 'application/json' })

export const text = (status: number, body: string): Reply => ({
  status,
  body,
  contentType: 'text/plain; charset=utf-8',
})

/** What an unhandled exception in the upstream looks like on the wire. */
export const internalError = (): Reply => ({ ...text(500, 'Internal Server Error'), bypassCors: true })

/** Thrown inside a handler to produce the upstream's plain-text 500. */
export class Unhandled extends Error {}

export function writeReply(res: ServerResponse, reply: Reply, extra: Record<string, string> = {}): void {
  const headers: Record<string, string | number> = {
    server: 'uvicorn',
    ...reply.headers,
    'content-length': Buffer.byteLength(reply.body),
    ...extra,
  }
  if (reply.contentType) headers['content-type'] = reply.contentType
  res.writeHead(reply.status, headers)
  res.end(reply.body)
}
