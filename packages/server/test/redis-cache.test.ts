import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import type { ReferenceBackend } from '@hewston-bff/reference-backend'
import { repoRoot } from '@hewston-bff/reference-backend/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BffApp } from '../src/index.js'
import { startBff, startGeneratedBackend } from './support/harness.js'
import { RedisLink, testRedisUrl, uniquePrefix } from './support/redis.js'

const redisUrl = testRedisUrl()

describe.skipIf(!redisUrl)('chart cache on a real Redis', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  let redis: Redis
  const prefix = uniquePrefix('chart')
  beforeAll(async () => {
    ;({ backend, cleanup } = await startGeneratedBackend())
    redis = new Redis(redisUrl as string)
  })
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length) await redis.del(...keys)
    redis.disconnect()
    await cleanup()
  })
  const minuteCalls = () => backend.stats.requests['GET /bars/minute'] ?? 0
  const chart = (bff: BffApp, from: string, to: string, headers: Record<string, string> = {}) =>
    fetch(`${bff.url}/api/v1/chart-data?symbol=AAPL&timeframe=1M_DECIMATED&from_date=${from}&to_date=${to}`, { headers })

  it('shares chunks between instances through Redis, keyed without secrets, with recency TTLs', async () => {
    const a = (await startBff(backend.url, { redis: redisUrl, redisKeyPrefix: prefix })).bff
    const b = (await startBff(backend.url, { redis: redisUrl, redisKeyPrefix: prefix })).bff
    try {
      await new Promise((r) => setTimeout(r, 200))
      const before = minuteCalls()
      expect((await chart(a, '2024-02-01', '2024-03-31', { authorization: 'Bearer alice-secret' })).status).toBe(200)
      await a.charts.chunks.whenIdle() // the month chunks are filled behind the cold answer
      expect(minuteCalls() - before).toBe(2)
      const fromB = (await (await chart(b, '2024-02-01', '2024-03-31', { authorization: 'Bearer alice-secret' })).json()) as {
        metadata: { cache_hit: boolean }
      }
      expect(fromB.metadata.cache_hit).toBe(true)
      expect(minuteCalls() - before).toBe(2)
      const keys = await redis.keys(`${prefix}*`)
      expect(keys.some((k) => k.includes(':minute:rth:AAPL:2024-02'))).toBe(true)
      expect(keys.join(' ')).not.toContain('alice')
      const ttl = await redis.pttl(keys.find((k) => k.endsWith('2024-02')) as string)
      expect(ttl).toBeGreaterThan(23 * 3600_000)
      const health = (await (await fetch(`${a.url}/health`)).json()) as { status: string; dependencies: { redis: { status: string } } }
      expect(health).toMatchObject({ status: 'ok', dependencies: { redis: { status: 'ok' } } })
    } finally {
      await a.close()
      await b.close()
    }
  })

  it('keeps serving when Redis goes down mid-test (degraded, logged, counted) and uses it again when it returns', async () => {
    const link = await new RedisLink(new URL(redisUrl as string)).up()
    const { bff, logs } = await startBff(backend.url, { redis: link.url, redisKeyPrefix: prefix })
    try {
      await new Promise((r) => setTimeout(r, 200))
      expect((await chart(bff, '2024-05-01', '2024-05-31')).status).toBe(200)
      await bff.charts.chunks.whenIdle()
      await link.down()
      await new Promise((r) => setTimeout(r, 200))
      const started = performance.now()
      const during = await chart(bff, '2024-06-01', '2024-06-30')
      expect(during.status).toBe(200)
      expect(performance.now() - started).toBeLessThan(3000)
      const again = (await (await chart(bff, '2024-05-01', '2024-05-31')).json()) as { metadata: { cache_hit: boolean } }
      expect(again.metadata.cache_hit).toBe(true) // from memory
      const health = (await (await fetch(`${bff.url}/health`)).json()) as { status: string; dependencies: { redis: { status: string } } }
      expect(health.status).toBe('degraded')
      expect(health.dependencies.redis.status).toBe('down')
      const metrics = await (await fetch(`${bff.url}/metrics`)).text()
      expect(metrics).toMatch(/^hewston_bff_redis_up 0$/m)
      expect(metrics).toMatch(/^hewston_bff_cache_errors_total\{op="get"\} [1-9]/m)
      expect(logs.lines.some((l) => l.msg === 'redis unavailable: serving from memory and upstream')).toBe(true)

      await link.up()
      for (let i = 0; i < 50 && !/^hewston_bff_redis_up 1$/m.test(await (await fetch(`${bff.url}/metrics`)).text()); i++) {
        await new Promise((r) => setTimeout(r, 100))
      }
      expect((await chart(bff, '2024-08-01', '2024-08-31')).status).toBe(200)
      await bff.charts.chunks.whenIdle()
      expect((await redis.keys(`${prefix}*2024-08`)).length).toBe(1)
      expect(((await (await fetch(`${bff.url}/health`)).json()) as { status: string }).status).toBe('ok')
    } finally {
      await bff.close()
      await link.down()
    }
  })
})

describe.skipIf(!redisUrl)('cross-instance single-flight with 3 real BFF processes on one Redis', () => {
  let backend: ReferenceBackend
  let cleanup: () => Promise<void>
  const children: ChildProcess[] = []
  const prefix = uniquePrefix('sf')
  beforeAll(async () => {
    ;({ backend, cleanup } = await startGeneratedBackend({ seed: 31 }))
  })
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL')
    const r = new Redis(redisUrl as string)
    const keys = await r.keys(`${prefix}*`)
    if (keys.length) await r.del(...keys)
    r.disconnect()
    await cleanup()
  })

  it('makes exactly one upstream call per chunk for 60 concurrent identical cold requests', async () => {
    const cli = path.join(repoRoot(), 'packages/server/dist/cli.js')
    const urls = await Promise.all(
      [0, 1, 2].map(
        (i) =>
          new Promise<string>((resolve, reject) => {
            const child = spawn(
              process.execPath,
              [cli, '--backend', backend.url, '--port', '0', '--redis', redisUrl as string, '--redis-prefix', prefix],
              {
                stdio: ['ignore', 'pipe', 'inherit'],
                env: { PATH: process.env.PATH ?? '' },
              },
            )
            children.push(child)
            let out = ''
            child.stdout?.on('data', (d: Buffer) => {
              out += d
              const m = /"url":"(http:\/\/[^"]+)"/.exec(out)
              if (m) resolve(m[1] as string)
            })
            child.on('exit', (code) => reject(new Error(`bff ${i} exited ${code}`)))
          }),
      ),
    )
    // Wait until all three see Redis.
    for (const u of urls) {
      for (let i = 0; i < 50; i++) {
        const h = (await (await fetch(`${u}/health`)).json()) as { dependencies: { redis?: { status: string } } }
        if (h.dependencies.redis?.status === 'ok') break
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    const before = backend.stats.requests['GET /bars/minute'] ?? 0
    const qs = 'symbol=AAPL&timeframe=1M_DECIMATED&from_date=2024-01-01&to_date=2024-06-30&target_points=3000'
    const responses = await Promise.all(Array.from({ length: 60 }, (_v, i) => fetch(`${urls[i % 3]}/api/v1/chart-data?${qs}`)))
    const bodies = await Promise.all(responses.map(async (r) => ((await r.json()) as { bars: unknown }).bars))
    expect(responses.every((r) => r.status === 200)).toBe(true)
    // The month chunks are filled behind the cold answers, on all three instances at once: still one
    // upstream call per chunk. Wait until the fills are over, then for a while longer.
    const minute = () => (backend.stats.requests['GET /bars/minute'] ?? 0) - before
    for (let i = 0; i < 100 && minute() < 6; i++) await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 1000))
    expect(minute()).toBe(6) // six months, one call each
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1)
  })
})
