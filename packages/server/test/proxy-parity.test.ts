import { ReferenceBackend } from '@hewston-bff/reference-backend'
import { compareHttp, loadHttpGoldens, loadWsSessions, requestBodyOf, sendRaw, sharedFixtures } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { diffItems, expectedItems, replaySession } from '../../reference-backend/test/ws-replay.js'
import type { BffApp } from '../src/index.js'
import { startBff } from './support/harness.js'

const shared = sharedFixtures('BFF proxy parity with the goldens')

/** Requests the guard stops before the upstream (everything else must come back exactly as recorded). */
const GUARDED = new Set([
  'daily missing symbol (422)',
  'minute missing from/to (422)',
  'minute missing to (422)',
  'hour missing from/to (422)',
  'minute_decimated missing from/to and symbol (422)',
  'minute_decimated target=abc (422)',
  'minute rth_only=maybe (422)',
  'daily malformed date month 13 (unhandled -> 500)',
  'minute malformed date month 13 (unhandled -> 500)',
  'hour malformed date month 13 (400)',
  'minute_decimated malformed date month 13 (unhandled -> 500)',
  'hour non-numeric year (500: fails before the 400 guard)',
  'minute datetime instead of date (500)',
  'minute compact date 20241202 (accepted by Python 3.11 fromisoformat)',
  'daily symbol with path traversal (served from the AAPL folder)',
  'list limit=abc (422)',
  'list offset=1.5 (422)',
  'CORS on unhandled 500 from allowed origin',
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
    for (const entry of entries) {
      const unprefixedUnknown = prefix === '' && entry.request.path === '/nope'
      it(`${prefix || 'unprefixed'} ${entry.file}: ${entry.name}`, async () => {
        const bff = entry.instance.endsWith('alias') ? viaAlias : viaHead
        const body = requestBodyOf(entry)
        const res = await sendRaw(bff.url, entry.request.method, `${prefix}${entry.request.url}`, { ...entry.request.headers }, body)
        expect(res.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/)
        if (GUARDED.has(entry.name) || unprefixedUnknown) {
          const envelope = JSON.parse(res.body.toString())
          expect(res.status).toBe(unprefixedUnknown ? 404 : 422)
          expect(envelope.error).toMatchObject({ code: unprefixedUnknown ? 'NOT_FOUND' : 'VALIDATION', correlation_id: res.headers['x-correlation-id'] })
          return
        }
        // Trailing-slash redirects carry the upstream's path (no /api/v1), which the BFF also serves.
        expect(compareHttp(entry, res)).toEqual([])
      })
    }
  }

  const sessions = shared ? loadWsSessions(shared.goldenDir).filter((s) => !['slow_consumer_pause_AAPL2024_run', 'long_idle_26s'].includes(s.name)) : []
  for (const session of sessions) {
    it(`WS relay /api/v1: ${session.file}: ${session.name}`, async () => {
      const bff = session.instance === 'alias' ? viaAlias : viaHead
      const { items, closeCode } = await replaySession(`${bff.url}/api/v1`, session)
      expect(diffItems(items, expectedItems(session))).toEqual([])
      if (session.closed) expect(closeCode).toBe(session.closed.code)
    })
  }
})
