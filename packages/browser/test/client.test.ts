import type { ReferenceBackend } from '@hewston-bff/reference-backend'
import { startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { type BffApp, createBffApp, defaultConfig } from '@hewston-bff/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHewstonClient } from '../src/index.js'

describe('createHewstonClient: the same answers through the BFF and straight to the backend', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  let bff: BffApp
  beforeAll(async () => {
    ;({ backend, cleanup } = await startGeneratedBackend({ seed: 9 }))
    bff = createBffApp(defaultConfig({ backend: backend.url, port: 0, logLevel: 'silent' }))
    await bff.listen()
  })
  afterAll(async () => {
    await bff.close()
    await cleanup()
  })

  it('returns equal data in both modes, switching at runtime on the next call', async () => {
    const client = createHewstonClient({ bffUrl: bff.url, backendUrl: backend.url, flagsPollMs: 0 })
    const calls = async () => {
      const list = await client.listBacktests({ limit: 5 })
      const detail = await client.getRunDetail(list.items[0]?.run_id as string)
      return [
        list,
        detail,
        await client.fetchDaily('AAPL', '2024-12-01', '2024-12-31'),
        await client.fetchMinute('AAPL', '2024-12-02', '2024-12-02'),
        await client.fetchHour('AAPL', '2024-12-02', '2024-12-06'),
        await client.fetchMinuteDecimated('AAPL', '2024-01-01', '2024-12-31', 2000),
      ]
    }
    const bffCalls = async () => {
      const text = await bff.metrics.registry.getSingleMetricAsString('hewston_bff_http_request_duration_seconds')
      return [...text.matchAll(/_count\{[^}]*route="\/api\/v1[^"]*"[^}]*\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0)
    }
    expect(client.modes().proxy).toBe('bff')
    const viaBff = await calls()
    expect(await bffCalls()).toBe(6)
    client.flags.set({ proxy: false })
    expect(client.modes().proxy).toBe('direct')
    const direct = await calls()
    expect(direct).toEqual(viaBff)
    expect(await bffCalls()).toBe(6)
  })
})
