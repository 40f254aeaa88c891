import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ReferenceBackend } from '../src/index.js'
import { compareHttp, loadHttpGoldens, requestBodyOf, sendRaw, sharedFixtures } from '../src/testing.js'

const shared = sharedFixtures('reference backend HTTP/SSE conformance')

describe.skipIf(!shared)('reference backend replays every recorded HTTP and SSE exchange', () => {
  const entries = shared ? loadHttpGoldens(shared.goldenDir) : []
  // `head` recordings come from the upstream as it is (streams fail with STREAM_ERROR); `alias` ones from
  // the same code with its streamer fixed. One backend per behaviour, both on the real data subset.
  let alias: ReferenceBackend
  let head: ReferenceBackend
  beforeAll(async () => {
    alias = await new ReferenceBackend({ root: shared?.dataRoot as string }).start()
    head = await new ReferenceBackend({ root: shared?.dataRoot as string, faults: { streamError: true } }).start()
  })
  afterAll(async () => {
    await alias?.close()
    await head?.close()
  })

  it('covers all 116 recorded exchanges', () => {
    expect(entries.length).toBe(116)
  })

  for (const entry of entries) {
    it(`${entry.file}: ${entry.name}`, async () => {
      const backend = entry.instance.endsWith('alias') ? alias : head
      const body = requestBodyOf(entry)
      const headers = { ...entry.request.headers }
      if (body && headers['Content-Length']) expect(String(body.length)).toBe(headers['Content-Length'])
      const res = await sendRaw(backend.url, entry.request.method, entry.request.url, headers, body)
      expect(compareHttp(entry, res)).toEqual([])
    })
  }
})
