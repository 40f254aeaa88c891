import { execFile } from 'node:child_process'
import http from 'node:http'
import { promisify } from 'node:util'
import { RunStream } from '@hewston-bff/browser'
import { startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { playResuming, runContents, steadyLoad } from '../../../drill/clients.js'
import { Fleet, fleetTools, startBackendProcess, waitUntil } from '../../../drill/fleet.js'
import { Prometheus } from '../../../drill/prometheus.js'
import { BFF_CLI } from './support/processes.js'
import { RedisLink, testRedisUrl, uniquePrefix } from './support/redis.js'

const run = promisify(execFile)
const redisUrl = testRedisUrl()
const tools = fleetTools()
if (!tools.haproxy || !tools.prometheus) {
  if (process.env.CI === 'true') throw new Error("haproxy or prometheus not found; .ci/run installs Debian's haproxy and prometheus")
  console.warn('\n  NOTICE: skipping fleet tests: no haproxy/prometheus on PATH (apt-get install -y haproxy prometheus).\n')
}

describe.skipIf(!redisUrl || !tools.haproxy || !tools.prometheus)('a fleet of 3 BFF processes behind HAProxy, sharing Redis', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let backend: Awaited<ReturnType<typeof startBackendProcess>>
  let fleet: Fleet
  let runId: string
  let want: { frames: number; orders: string[] }
  const prefix = uniquePrefix('fleet')
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 71 })
    backend = await startBackendProcess(gen.data.root)
    runId = gen.data.runs.find((r) => r.from === '2024-12-01')?.runId as string
    want = await runContents(backend.url, runId)
    fleet = await Fleet.start({ backendUrl: backend.url, redisUrl: redisUrl as string, redisPrefix: prefix, keepLogs: true })
  }, 60_000)
  afterAll(async () => {
    await fleet?.stop()
    await backend?.stop()
    await gen?.cleanup()
  })
  const wsBase = () => fleet.url.replace('http', 'ws')

  it('is watched by Prometheus: every instance scraped, the alert rules loaded', async () => {
    const prometheus = await Prometheus.start(fleet.instances.map((i) => `127.0.0.1:${i.port}`))
    try {
      await waitUntil(
        async () => (await prometheus.targets()).filter((t) => t.health === 'up').length === 3,
        20_000,
        () => 'not every target up',
      )
      const ready = await prometheus.query('hewston_bff_ready')
      expect(ready.map((r) => r.metric.instance).sort()).toEqual(fleet.instances.map((i) => `127.0.0.1:${i.port}`).sort())
      expect(ready.every((r) => r.value === 1)).toBe(true)
      expect(await prometheus.ruleNames()).toContain('HewstonBffPlaybackReconnectStorm')
      // Nothing fires on a healthy fleet.
      expect(await prometheus.query('ALERTS{alertstate="firing"}')).toEqual([])
    } finally {
      await prometheus.stop()
    }
  }, 60_000)

  it('loses an instance mid-playback: 50 clients resume on the survivors, every order exactly once, in order', async () => {
    const clients = Array.from({ length: 50 }, (_, i) =>
      playResuming(wsBase(), runId, { fps: '30', speed: '40' }, { headers: { authorization: `Bearer loss-${i % 5}` } }),
    )
    // The browser SDK's own stream handle, through the same balancer.
    const sdk = new RunStream(runId, { fps: 30, speed: 40 }, 'bff', {
      bffUrl: fleet.url,
      direct: () => Promise.reject(new Error('this test stays on the BFF')),
      WebSocket,
      onBffTrouble: async () => false,
    })
    const sdkOrders: string[] = []
    const sdkEnd = new Promise<{ frames: number; dropped: number }>((resolve) => sdk.on('end', resolve))
    sdk.on('frame', (f) => {
      for (const o of f.orders ?? []) sdkOrders.push(o.order_id as string)
    })
    sdk.play()
    await new Promise((r) => setTimeout(r, 2000))
    await fleet.kill(0)
    const results = await Promise.all(clients.map((c) => c.done))
    for (const r of results) {
      expect(r.ended).toBe(true)
      expect(r.ordered).toBe(true)
      expect(r.frames + r.dropped).toBe(want.frames)
      expect(r.orders).toEqual(want.orders)
    }
    // A third of them were on the instance that died (round robin), and came back through a survivor.
    const resumed = results.filter((r) => r.resumes > 0).length
    expect(resumed).toBeGreaterThanOrEqual(10)
    const end = await sdkEnd
    expect(end.frames + end.dropped).toBe(want.frames)
    expect(sdkOrders).toEqual(want.orders)
    sdk.close()
    await fleet.start(0)
  }, 120_000)

  it('restarts every instance in turn under load without a single failed request; streams resume elsewhere', async () => {
    const runIds = gen.data.runs.map((r) => r.runId)
    const load = steadyLoad(fleet.url, runIds, 8)
    const streams = Array.from({ length: 10 }, (_, i) =>
      playResuming(wsBase(), runId, { fps: '30', speed: '25' }, { headers: { authorization: `Bearer roll-${i}` } }),
    )
    await new Promise((r) => setTimeout(r, 1000))
    const checks = fleet.watchChecks()
    for (let i = 0; i < fleet.instances.length; i++) {
      expect(await fleet.terminate(i)).toBe(0)
      await fleet.start(i)
    }
    const result = await load.stop()
    // On failure, HAProxy's view of the instances over time says why.
    expect(result.failures, checks().join('\n')).toEqual([])
    expect(result.failed).toBe(0)
    expect(result.requests).toBeGreaterThan(100)
    for (const s of await Promise.all(streams.map((s) => s.done))) {
      expect(s.ended).toBe(true)
      expect(s.frames + s.dropped).toBe(want.frames)
      expect(s.orders).toEqual(want.orders)
      // Sessions on a restarted instance were told to go elsewhere (1012), not cut.
      for (const code of s.closeCodes) expect(code).toBe(1012)
    }
  }, 180_000)

  it('flips the kill switch for the whole fleet from one CLI call (Redis), served by every instance at once', async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, [BFF_CLI, 'flags', ...args, '--redis', redisUrl as string, '--redis-prefix', prefix])
    const flagsOf = async (url: string) => ((await (await fetch(`${url}/api/v1/flags`)).json()) as { flags: Record<string, boolean> }).flags
    const set = await cli('set', 'stream=off')
    expect(set.stdout).toMatch(/stream\s+off\s+\(Redis\)/)
    // Each instance reads Redis on every /api/v1/flags request: no waiting for a poll of its own.
    for (const inst of fleet.instances)
      expect(await flagsOf(inst.url)).toEqual({ proxy: true, chartData: true, runData: true, stream: false })
    expect((await cli('get')).stdout).toMatch(/stream\s+off/)
    await cli('clear')
    for (const inst of fleet.instances) expect((await flagsOf(inst.url)).stream).toBe(true)
  })
})

/** One GET from a chosen loopback source address (127.0.0.x): a distinct client as the balancer sees it. */
function getFrom(
  url: string,
  localAddress: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
  })
}

/** Opens a playback stream from a chosen source address; resolves with the close code, or 'open' once a frame arrives. */
function streamFrom(wsUrl: string, localAddress: string): Promise<{ outcome: 'open' | number; ws: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(wsUrl, { localAddress, perMessageDeflate: false })
    ws.on('message', () => resolve({ outcome: 'open', ws }))
    ws.on('close', (code) => resolve({ outcome: code, ws }))
    ws.on('error', () => {})
  })
}

describe.skipIf(!redisUrl || !tools.haproxy)('shared limits and real client addresses across the fleet', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let fleet: Fleet
  let link: RedisLink
  let runId: string
  const RPS = 10
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 72 })
    runId = gen.data.runs[0]?.runId as string
    link = await new RedisLink(new URL(redisUrl as string)).up()
    fleet = await Fleet.start({
      backendUrl: gen.backend.url,
      redisUrl: link.url,
      redisPrefix: uniquePrefix('fleet-limits'),
      keepLogs: true,
      bffArgs: ['--rate-limit-rps', String(RPS), '--rate-limit-burst', '0', '--stream-max-per-ip', '1'],
    })
  }, 60_000)
  afterAll(async () => {
    await fleet?.stop()
    await link?.down()
    await gen?.cleanup()
  })

  /** Fires `n` requests of one client at once, spread over every instance through HAProxy (round robin). */
  const burst = (n: number, from: string, headers: Record<string, string> = {}) =>
    Promise.all(Array.from({ length: n }, () => getFrom(`${fleet.url}/api/v1/backtests?limit=1`, from, headers)))

  it('limits one client at the fleet rate, not once per instance: 429 + Retry-After + envelope', async () => {
    // Three instances counting alone would let 3 × RPS through.
    const answers = await burst(6 * RPS, '127.0.0.2')
    const ok = answers.filter((a) => a.status === 200).length
    expect(ok).toBeGreaterThanOrEqual(RPS)
    expect(ok).toBeLessThanOrEqual(2 * RPS) // a burst may straddle two one-second windows, never three instances
    const refused = answers.find((a) => a.status === 429)
    expect(refused?.headers['retry-after']).toMatch(/^[1-9]\d*$/)
    expect(JSON.parse(refused?.body as string).error).toMatchObject({ code: 'RATE_LIMITED', correlation_id: expect.any(String) })
    // Every instance refused some: the counter is one for the fleet.
    const metrics = await Promise.all(fleet.instances.map(async (i) => (await fetch(`${i.url}/metrics`)).text()))
    for (const text of metrics) expect(text).toMatch(/hewston_bff_rate_limit_shared 1/)
  })

  it('counts clients behind the balancer by X-Forwarded-For from the trusted hop; a forged one counts as its sender', async () => {
    await new Promise((r) => setTimeout(r, 1100))
    // Two clients, two budgets.
    const [a, b] = await Promise.all([burst(RPS, '127.0.0.3'), burst(RPS, '127.0.0.4')])
    expect([...(a ?? []), ...(b ?? [])].every((x) => x.status === 200)).toBe(true)
    // A client that writes its own X-Forwarded-For is still counted (and logged) by the address HAProxy saw.
    const forged = await getFrom(`${fleet.url}/api/v1/backtests?limit=1`, '127.0.0.3', {
      'x-forwarded-for': '203.0.113.9',
      'x-correlation-id': 'forged-xff-1',
    })
    expect(forged.status).toBe(429)
    // Straight to an instance from an untrusted peer, the header is ignored altogether.
    const direct = await getFrom(`${fleet.instances[1]?.url}/api/v1/backtests?limit=1`, '127.0.0.5', {
      'x-forwarded-for': '203.0.113.10',
      'x-correlation-id': 'forged-xff-2',
    })
    expect(direct.status).toBe(200)
    await new Promise((r) => setTimeout(r, 300))
    const logged = (id: string) =>
      JSON.parse(
        fleet.instances.flatMap((i) => i.logs.split('\n')).find((l) => l.includes(`"${id}"`) && l.includes('"msg":"request"')) as string,
      ).client
    expect(logged('forged-xff-1')).toBe('127.0.0.3')
    expect(logged('forged-xff-2')).toBe('127.0.0.5')
  })

  it('applies per-address stream limits to clients, not to the balancer', async () => {
    const url = `${fleet.url.replace('http', 'ws')}/api/v1/runs/${runId}/stream?autoplay=0`
    // Six clients, one stream each, over three instances: every one is let in (the balancer's own address would hit the limit of 1).
    const six = await Promise.all(['10', '11', '12', '13', '14', '15'].map((x) => streamFrom(url, `127.0.0.${x}`)))
    expect(six.map((s) => s.outcome)).toEqual(Array(6).fill('open'))
    // One client with four streams over three instances: at least one instance sees it twice and refuses (1008).
    const four = await Promise.all(Array.from({ length: 4 }, () => streamFrom(url, '127.0.0.20')))
    expect(four.filter((s) => s.outcome === 1008).length).toBeGreaterThanOrEqual(1)
    for (const s of [...six, ...four]) s.ws.terminate()
  })

  it('falls back to per-instance limits while Redis is down, and says so in /health and the metrics', async () => {
    await link.down()
    const health = async (url: string) =>
      (await (await fetch(`${url}/health`)).json()) as { dependencies: Record<string, { mode?: string; status: string }> }
    await waitUntil(
      async () => (await health(fleet.instances[0]?.url as string)).dependencies.rate_limits?.mode === 'per-instance',
      10_000,
      () => 'no per-instance mode',
    )
    for (const inst of fleet.instances) {
      expect((await health(inst.url)).dependencies.rate_limits).toMatchObject({ status: 'down', mode: 'per-instance' })
      expect(await (await fetch(`${inst.url}/metrics`)).text()).toMatch(/hewston_bff_rate_limit_shared 0/)
    }
    // Still limited — by each instance on its own.
    await new Promise((r) => setTimeout(r, 1100))
    const answers = await burst(6 * RPS, '127.0.0.6')
    const ok = answers.filter((a) => a.status === 200).length
    expect(answers.some((a) => a.status === 429)).toBe(true)
    expect(ok).toBeGreaterThan(RPS)
    expect(ok).toBeLessThanOrEqual(2 * 3 * RPS)
    await link.up()
    await waitUntil(
      async () => (await health(fleet.instances[0]?.url as string)).dependencies.rate_limits?.mode === 'fleet',
      15_000,
      () => 'Redis not back',
    )
  })
})
