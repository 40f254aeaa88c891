import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBff, startGeneratedBackend } from './support/harness.js'
import { RedisLink, testRedisUrl, uniquePrefix } from './support/redis.js'

describe('GET /api/v1/flags and the /demo/ page', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  const dir = mkdtempSync(path.join(tmpdir(), 'hewston-flags-'))
  const file = path.join(dir, 'flags.json')
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 71 })
  })
  afterAll(async () => {
    await gen.cleanup()
    rmSync(dir, { recursive: true, force: true })
  })

  it('serves every group on by default, then whatever the flags file says, re-read per request', async () => {
    const { bff } = await startBff(gen.backend.url, { flagsFile: file, flagsPollMs: 1234 })
    try {
      const read = async () =>
        (await (await fetch(`${bff.url}/api/v1/flags`)).json()) as { flags: Record<string, boolean>; backend_url: string; poll_ms: number }
      expect(await read()).toEqual({
        flags: { proxy: true, chartData: true, runData: true, stream: true },
        backend_url: gen.backend.url,
        poll_ms: 1234,
      })
      writeFileSync(file, '{"stream": false, "junk": "x"}')
      expect((await read()).flags).toEqual({ proxy: true, chartData: true, runData: true, stream: false })
      writeFileSync(file, 'not json')
      expect((await read()).flags.stream).toBe(true)
    } finally {
      await bff.close()
    }
  })

  it.skipIf(!testRedisUrl())('serves the fleet flags from Redis over the file, and the file while Redis is down', async () => {
    const link = await new RedisLink(new URL(testRedisUrl() as string)).up()
    const prefix = uniquePrefix('flags')
    writeFileSync(file, '{"chartData": false, "stream": true}')
    const { bff } = await startBff(gen.backend.url, { flagsFile: file, redis: link.url, redisKeyPrefix: prefix })
    const { Redis } = await import('ioredis')
    const admin = new Redis(testRedisUrl() as string, { keyPrefix: prefix })
    try {
      const read = async () => ((await (await fetch(`${bff.url}/api/v1/flags`)).json()) as { flags: Record<string, boolean> }).flags
      expect(await read()).toEqual({ proxy: true, chartData: false, runData: true, stream: true })
      await admin.set('flags', '{"stream": false}')
      // The very next request: no poll of the instance's own in between.
      expect(await read()).toEqual({ proxy: true, chartData: false, runData: true, stream: false })
      await link.down()
      const res = await fetch(`${bff.url}/api/v1/flags`)
      expect(res.status).toBe(200)
      expect(((await res.json()) as { flags: Record<string, boolean> }).flags).toEqual({
        proxy: true,
        chartData: false,
        runData: true,
        stream: true,
      })
    } finally {
      admin.disconnect()
      await bff.close()
      await link.down()
    }
  })

  it('serves the demo page, its SDK bundle and lightweight-charts — unless --no-demo', async () => {
    const { bff } = await startBff(gen.backend.url)
    try {
      const page = await fetch(`${bff.url}/demo/`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('Hewston BFF demo')
      expect((await fetch(`${bff.url}/demo/sdk.js`)).headers.get('content-type')).toMatch(/javascript/)
      expect((await fetch(`${bff.url}/demo/vendor/lightweight-charts.js`)).status).toBe(200)
    } finally {
      await bff.close()
    }
    const { bff: off } = await startBff(gen.backend.url, { demo: 'off' })
    try {
      expect((await fetch(`${off.url}/demo/`)).status).toBe(404)
    } finally {
      await off.close()
    }
  })
})
