import { ReferenceBackend } from '@hewston-bff/reference-backend'
import {
  compareHttp,
  diffItems,
  expectedItems,
  loadHttpGoldens,
  loadWsSessions,
  replaySession,
  requestBodyOf,
  sendRaw,
  sharedFixtures,
} from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BffApp } from '../src/index.js'
import { startBff } from './support/harness.js'

const shared = sharedFixtures('BFF proxy parity with the goldens')

/**
 * The only recorded exchanges the BFF answers itself: requests that crash the upstream (an unhandled 500:
 * plain text, no CORS headers, a dropped connection) and the one that reaches its filesystem outside the
 * bars folder. Every other golden — the upstream's own 4xx included — must come back byte for byte.
 */
const GUARDED = new Set([
  'daily malformed date month 13 (unhandled -> 500)',
  'minute malformed date month 13 (unhandled -> 500)',
  'minute_decimated malformed date month 13 (unhandled -> 500)',
  'hour non-numeric year (500: fails before the 400 guard)',
  'minute datetime instead of date (500)',
  'CORS on unhandled 500 from allowed origin',
  'daily symbol with path traversal (served from the AAPL folder)',
])

describe.skipIf(!shared)('the BFF proxies every recorded exchange byte for byte', () => {
  const entries = shared ? loadHttpGoldens(shared.goldenDir) : []
  let alias: ReferenceBackend
  let head: ReferenceBackend
  let viaAlias: BffApp
  let viaHead: BffApp
  beforeAll(async () => {
    alias = await new ReferenceBackend({ root: shared?.dataRoot as string }).start()
    head = await new ReferenceBackend({ root: shared?.dataRoot as string, faults: { streamError: true } }).start()
    viaAlias = (await startBff(alias.url)).bff
    viaHead = (await startBff(head.url)).bff
  })
  afterAll(async () => {
    await viaAlias?.close()
    await viaHead?.close()
    await alias?.close()
    await head?.close()
  })

  for (const prefix of ['/api/v1', '']) {
    // POST stubs keep idempotency state per upstream process: each prefix run gets fresh keys' answers
    // from a restarted backend.
    it(`${prefix || 'unprefixed'}: starts from a fresh upstream`, async () => {
      await alias.restart()
      await head.restart()
    })
    it(`${prefix || 'unprefixed'}: answers every golden below 500 exactly as recorded, guarding only crashes and path traversal`, () => {
      const intercepted = entries.filter((e) => GUARDED.has(e.name))
      expect(intercepted.filter((e) => e.response.status < 500).map((e) => e.name)).toEqual([
        'daily symbol with path traversal (served from the AAPL folder)',
      ])
      expect(intercepted).toHaveLength(GUARDED.size)
    })
    for (const entry of entries) {
      // /api/v1/openapi.json is the BFF's own document (docs/server.md); the upstream's stays at /openapi.json.
      if (prefix && entry.request.url.split('?')[0] === '/openapi.json') continue
      it(`${prefix || 'unprefixed'} ${entry.file}: ${entry.name}`, async () => {
        const bff = entry.instance.endsWith('alias') ? viaAlias : viaHead
        const body = requestBodyOf(entry)
        const res = await sendRaw(bff.url, entry.request.method, `${prefix}${entry.request.url}`, { ...entry.request.headers }, body)
        expect(res.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/)
        if (GUARDED.has(entry.name)) {
          const envelope = JSON.parse(res.body.toString())
          expect(res.status).toBe(422)
          expect(envelope.error).toMatchObject({ code: 'VALIDATION', correlation_id: res.headers['x-correlation-id'] })
          return
        }
        // Trailing-slash redirects carry the upstream's path (no /api/v1), which the BFF also serves.
        expect(compareHttp(entry, res)).toEqual([])
      })
    }
  }

  const sessions = shared
    ? loadWsSessions(shared.goldenDir).filter((s) => !['slow_consumer_pause_AAPL2024_run', 'long_idle_26s'].includes(s.name))
    : []
  for (const session of sessions) {
    it(`WS relay /api/v1: ${session.file}: ${session.name}`, async () => {
      const bff = session.instance === 'alias' ? viaAlias : viaHead
      const { items, closeCode } = await replaySession(`${bff.url}/api/v1`, session)
      expect(diffItems(items, expectedItems(session))).toEqual([])
      if (session.closed) expect(closeCode).toBe(session.closed.code)
    })
  }
})
