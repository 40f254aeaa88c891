import path from 'node:path'
import { fillTimelineFromArtifacts, type PlaybackFrame, Timeline } from '@hewston-bff/core'
import { ReferenceBackend } from '@hewston-bff/reference-backend'
import { sharedFixtures, startGeneratedBackend } from '@hewston-bff/reference-backend/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { FsArtifactSource } from '../src/artifacts/fs-artifact-source.js'
import { SqliteMetricsCatalog } from '../src/artifacts/sqlite-catalog.js'
import type { BffApp } from '../src/index.js'
import { startBff } from './support/harness.js'

type Msg = Record<string, unknown> & { t: string }
interface Client {
  ws: WebSocket
  messages: Msg[]
  frames: () => (PlaybackFrame & { dropped: number })[]
  statuses: () => Msg[]
  closed: Promise<[number, string]>
  waitFor: (pred: (m: Msg) => boolean, timeoutMs?: number) => Promise<Msg>
}

function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const ws = new WebSocket(url, { headers })
  const messages: Msg[] = []
  const waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = []
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as Msg
    messages.push(m)
    for (const w of [...waiters])
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(m)
      }
  })
  const closed = new Promise<[number, string]>((r) => ws.on('close', (c, reason) => r([c, reason.toString()])))
  ws.on('error', () => {})
  const client: Client = {
    ws,
    messages,
    frames: () => messages.filter((m) => m.t === 'frame') as unknown as (PlaybackFrame & { dropped: number })[],
    statuses: () => messages.filter((m) => m.t === 'status'),
    closed,
    waitFor: (pred, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const hit = messages.find(pred)
        if (hit) return resolve(hit)
        waiters.push({ pred, resolve })
        setTimeout(() => reject(new Error(`timed out; last: ${JSON.stringify(messages.at(-1))?.slice(0, 200)}`)), timeoutMs).unref()
      }),
  }
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client))
    ws.once('unexpected-response', (_q, res) => reject(new Error(`handshake ${res.statusCode}`)))
  })
}

/** The handshake's answer when the BFF refuses the upgrade: status, headers and body. */
function refusal(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const ws = new WebSocket(url, { headers })
  ws.on('error', () => {})
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the handshake was accepted')))
    ws.once('unexpected-response', (_q, res) => {
      let body = ''
      res.on('data', (d: Buffer) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode as number, headers: res.headers, body }))
    })
  })
}

/** Every order of a run, in stream order, straight from the upstream's SSE. */
async function upstreamOrders(backendUrl: string, runId: string): Promise<{ ids: string[]; frames: number }> {
  const text = await (await fetch(`${backendUrl}/backtests/${runId}/stream`)).text()
  const frames = text.split('event: frame\n').length - 1
  return { ids: [...text.matchAll(/"order_id": "(o\d+)"/g)].map((m) => m[1] as string), frames }
}

const orderIds = (c: Client) => c.frames().flatMap((f) => f.orders.map((o) => o.order_id as string))

describe('playback stream /api/v1/runs/{id}/stream', () => {
  let gen: Awaited<ReturnType<typeof startGeneratedBackend>>
  let bff: BffApp
  let runId: string
  let expected: { ids: string[]; frames: number }
  const wsUrl = (qs = '', id = runId) => `${bff.url.replace('http', 'ws')}/api/v1/runs/${id}/stream${qs ? `?${qs}` : ''}`
  beforeAll(async () => {
    gen = await startGeneratedBackend({ seed: 51 })
    runId = gen.data.runs.find((r) => r.from === '2024-12-01')?.runId as string
    expected = await upstreamOrders(gen.backend.url, runId)
    ;({ bff } = await startBff(gen.backend.url, { streamBackoffMs: '100,200,400', streamHeartbeatMs: 200, streamIdleTimeoutMs: 1000 }))
  })
  afterAll(async () => {
    await bff.close()
    await gen.cleanup()
  })

  it('plays the whole run paced and coalesced: every order once, in order; frames + dropped = frames in the run', async () => {
    const c = await connect(wsUrl('autoplay=1&fps=30&speed=400'))
    const end = await c.waitFor((m) => m.t === 'end')
    const frames = c.frames()
    expect(frames.length + (frames.at(-1)?.dropped ?? 0)).toBe(expected.frames)
    expect(end).toMatchObject({ frames: expected.frames })
    expect(orderIds(c)).toEqual(expected.ids)
    for (let i = 1; i < frames.length; i++) expect((frames[i]?.ts as string) > (frames[i - 1]?.ts as string)).toBe(true)
    expect(c.statuses().map((s) => s.state)).toEqual(expect.arrayContaining(['live', 'ended']))
    c.ws.close()
  })

  it('shares one upstream fetch among 50 clients of one run', async () => {
    const before = gen.backend.stats.sseStreams
    const clients = await Promise.all(
      Array.from({ length: 50 }, () => connect(wsUrl('autoplay=1&fps=20&speed=2000', gen.data.runs[0]?.runId))),
    )
    await Promise.all(clients.map((c) => c.waitFor((m) => m.t === 'end', 60_000)))
    expect(gen.backend.stats.sseStreams - before).toBe(1)
    for (const c of clients) c.ws.close()
  })

  it('survives 5 upstream restarts mid-load: clients keep playing, then every frame accounted once, in order', async () => {
    gen.backend.setFaults({ sseFramesPerSecond: 30_000 })
    const streamsBefore = gen.backend.stats.sseStreams
    const c = await connect(wsUrl('autoplay=1&fps=30&speed=60', gen.data.runs[1]?.runId ?? runId).replace(/runs\/[^/]+/, `runs/${runId}`), {
      authorization: 'Bearer restart-test',
    })
    let kills = 0
    let lastSent = gen.backend.stats.framesSent
    while (kills < 5) {
      await new Promise((r) => setTimeout(r, 50))
      if (gen.backend.stats.framesSent - lastSent >= 6000 + kills * 6000) {
        await gen.backend.restart()
        kills++
        lastSent = gen.backend.stats.framesSent
      }
    }
    gen.backend.setFaults({})
    await c.waitFor((m) => m.t === 'end', 60_000)
    const frames = c.frames()
    expect(frames.length + (frames.at(-1)?.dropped ?? 0)).toBe(expected.frames)
    expect(orderIds(c)).toEqual(expected.ids)
    for (let i = 1; i < frames.length; i++) expect((frames[i]?.ts as string) > (frames[i - 1]?.ts as string)).toBe(true)
    // The loader re-read after every restart; the client only hears `reconnecting` if it caught up meanwhile.
    expect(gen.backend.stats.sseStreams - streamsBefore).toBeGreaterThanOrEqual(6)
    for (const s of c.statuses().filter((s) => s.state === 'reconnecting'))
      expect(s).toMatchObject({ attempt: expect.any(Number), retry_in_ms: expect.any(Number) })
    expect(c.statuses().map((s) => s.state)).not.toContain('error')
    expect(c.messages.filter((m) => m.t === 'err')).toEqual([])
    c.ws.close()
  })

  it('gives a client that stops reading coalesced frames when it reads again, without losing orders', async () => {
    const c = await connect(wsUrl('autoplay=1&fps=60&speed=300'), { cookie: 'slow=1' })
    await c.waitFor((m) => m.t === 'frame')
    const socket = (c.ws as unknown as { _socket: import('node:net').Socket })._socket
    socket.pause()
    await new Promise((r) => setTimeout(r, 1500))
    socket.resume()
    await c.waitFor((m) => m.t === 'end', 60_000)
    const frames = c.frames()
    expect(orderIds(c)).toEqual(expected.ids)
    expect(frames.length + (frames.at(-1)?.dropped ?? 0)).toBe(expected.frames)
    // Far fewer messages than frames: the rest were coalesced into the ones sent (back-pressure itself,
    // a full send buffer, is exercised deterministically in core's PlaybackSession property test).
    expect(frames.length).toBeLessThan(expected.frames / 10)
    c.ws.close()
  })

  it('resumes a reconnecting client right after `from`', async () => {
    const first = await connect(wsUrl('autoplay=1&fps=30&speed=100'), { authorization: 'Bearer resume' })
    await c_waitFrames(first, 5)
    first.ws.close()
    await first.closed
    const got = first.frames()
    const last = got.at(-1)?.ts as string
    const second = await connect(wsUrl(`autoplay=1&fps=30&speed=400&from=${encodeURIComponent(last)}`), { authorization: 'Bearer resume' })
    await second.waitFor((m) => m.t === 'end', 60_000)
    expect((second.frames()[0]?.ts as string) > last).toBe(true)
    expect([...orderIds(first), ...orderIds(second)]).toEqual(expected.ids)
    second.ws.close()
  })

  it('forwards the upstream STREAM_ERROR once and does not retry it forever', async () => {
    gen.backend.setFaults({ streamError: true })
    const before = gen.backend.stats.sseStreams
    const c = await connect(wsUrl('autoplay=1'), { authorization: 'Bearer stream-error' })
    const err = await c.waitFor((m) => m.t === 'err')
    expect(err).toEqual({ t: 'err', code: 'STREAM_ERROR', msg: "name '_norm_ts' is not defined" })
    await c.waitFor((m) => m.t === 'status' && m.state === 'error')
    await new Promise((r) => setTimeout(r, 500))
    expect(gen.backend.stats.sseStreams - before).toBe(1)
    gen.backend.setFaults({})
    c.ws.close()
  })

  it('refuses an unknown run at the handshake with 404 and the envelope, without opening a stream', async () => {
    const before = gen.backend.stats.sseStreams
    const r = await refusal(wsUrl('autoplay=1', 'no-such-run'), { 'x-correlation-id': 'unknown-run-1' })
    expect(r.status).toBe(404)
    expect(JSON.parse(r.body)).toEqual({
      error: {
        code: 'RUN_NOT_FOUND',
        message: 'Run no-such-run not found',
        details: { run_id: 'no-such-run' },
        correlation_id: 'unknown-run-1',
      },
    })
    expect(r.headers['x-correlation-id']).toBe('unknown-run-1')
    expect(gen.backend.stats.sseStreams).toBe(before)
  })

  it("gives the upstream's own 401 back at the handshake, exactly as it sent it", async () => {
    gen.backend.setFaults({ routes: [{ method: 'GET', path: `/backtests/${runId}`, status: 401, body: '{"detail":"Not authenticated"}' }] })
    try {
      const r = await refusal(wsUrl('autoplay=1'), { authorization: 'Bearer revoked' })
      expect(r.status).toBe(401)
      expect(r.body).toBe('{"detail":"Not authenticated"}')
    } finally {
      gen.backend.setFaults({})
    }
  })

  it('gives a fields=orders client only frames with orders, each order once; a fields command switches back', async () => {
    const c = await connect(wsUrl('autoplay=1&fps=30&speed=2000&fields=orders'), { authorization: 'Bearer orders-only' })
    const end = await c.waitFor((m) => m.t === 'end', 60_000)
    const frames = c.frames()
    expect(frames.length).toBeGreaterThan(0)
    for (const f of frames) {
      expect(Object.keys(f).sort()).toEqual(['dropped', 'orders', 't', 'ts'])
      expect(f.orders.length).toBeGreaterThan(0)
    }
    expect(orderIds(c)).toEqual(expected.ids)
    expect(frames.length + (end.dropped as number)).toBe(expected.frames)
    // Back to everything with a command, after a seek to the start.
    c.ws.send('{"t":"ctrl","cmd":"fields","fields":["ohlc","orders","equity"]}')
    await expect(connect(wsUrl('fields=volume'))).rejects.toThrow(/handshake 422/)
    await expect(connect(wsUrl('fields=orders,orders'))).rejects.toThrow(/handshake 422/)
    await c.waitFor((m) => m.echo === true && m.cmd === 'fields')
    c.ws.close()
  })

  it('finishes from the artifacts after the first upstream drop instead of re-reading (--root)', async () => {
    const gen2 = await startGeneratedBackend({ seed: 52 })
    const { bff } = await startBff(gen2.backend.url, { root: gen2.data.root, streamBackoffMs: '100' })
    try {
      const run = gen2.data.runs.find((r) => r.from === '2024-10-01')?.runId as string
      const want = await upstreamOrders(gen2.backend.url, run)
      gen2.backend.setFaults({ sseFramesPerSecond: 20_000 })
      const streamsBefore = gen2.backend.stats.sseStreams
      const c = await connect(`${bff.url.replace('http', 'ws')}/api/v1/runs/${run}/stream?autoplay=1&fps=30&speed=600`)
      await c.waitFor((m) => m.t === 'frame')
      await gen2.backend.restart()
      await c.waitFor((m) => m.t === 'end', 60_000)
      const frames = c.frames()
      expect(frames.length + (frames.at(-1)?.dropped ?? 0)).toBe(want.frames)
      expect(orderIds(c)).toEqual(want.ids)
      expect(gen2.backend.stats.sseStreams - streamsBefore).toBe(1)
      expect(c.messages.filter((m) => m.t === 'err')).toEqual([])
      c.ws.close()
    } finally {
      await bff.close()
      await gen2.cleanup()
    }
  })

  it('refuses a new run with 503 while the timelines in use fill --stream-pool-mb; joining a pooled one still works', async () => {
    // Room for one 132k-frame timeline (~15 MB with its arrays at capacity), not two.
    const { bff: small } = await startBff(gen.backend.url, { streamPoolMb: 20 })
    try {
      const big = gen.data.runs.find((r) => r.from === '2024-10-01')?.runId as string
      const url = (qs: string) => `${small.url.replace('http', 'ws')}/api/v1/runs/${big}/stream?${qs}`
      const first = await connect(url('autoplay=1&fps=30&speed=1'), { authorization: 'Bearer pool-a' })
      await first.waitFor((m) => m.t === 'status' && m.state === 'live')
      const r = await refusal(url('autoplay=1'), { authorization: 'Bearer pool-b', 'x-correlation-id': 'pool-full' })
      expect(r.status).toBe(503)
      expect(r.headers['retry-after']).toBe('5')
      expect(JSON.parse(r.body).error).toMatchObject({ code: 'OVERLOADED', correlation_id: 'pool-full' })
      const joined = await connect(url('autoplay=1&fps=30&speed=1'), { authorization: 'Bearer pool-a' })
      await joined.waitFor((m) => m.t === 'frame')
      expect(await (await fetch(`${small.url}/metrics`)).text()).toMatch(
        /hewston_bff_playback_streams_refused_total\{reason="pool_full"\} 1/,
      )
      // Once nobody plays it, the idle timeline makes room.
      first.ws.close()
      joined.ws.close()
      await new Promise((r) => setTimeout(r, 300))
      const later = await connect(url('autoplay=1'), { authorization: 'Bearer pool-b' })
      later.ws.close()
    } finally {
      await small.close()
    }
  })

  it('keeps the connection on invalid messages and answers VALIDATION', async () => {
    const c = await connect(wsUrl(), { authorization: 'Bearer invalid' })
    for (const bad of ['nope', '[1,2]', '"x"', '{"t":"noop"}', '{"t":"ctrl","cmd":"fly"}']) c.ws.send(bad)
    c.ws.send(Buffer.from('binary'), { binary: true })
    await new Promise((r) => setTimeout(r, 300))
    expect(c.messages.filter((m) => m.t === 'err' && m.code === 'VALIDATION')).toHaveLength(6)
    expect(c.ws.readyState).toBe(WebSocket.OPEN)
    c.ws.send('{"t":"ctrl","cmd":"play","client_seq":1}')
    await c.waitFor((m) => m.t === 'ctrl' && m.echo === true && m.client_seq === 1)
    c.ws.close()
  })

  it('takes only real numbers and real timestamps, at the handshake and in ctrl messages (9)', async () => {
    for (const qs of [
      'speed=0x10',
      'speed=1e-320',
      'speed=1e3',
      'speed=Infinity',
      'fps=0x10',
      'fps=1.5',
      'from=Nov%2015%202024',
      'from=2024-02-30T00:00:00Z',
      'from=2024-12-02',
    ]) {
      await expect(connect(wsUrl(qs)), qs).rejects.toThrow(/handshake 422/)
    }
    const c = await connect(wsUrl('speed=2.5&from=2024-12-02T14:30:00Z'), { authorization: 'Bearer strict' })
    const bad = [
      { cmd: 'seek', ts: '2024-02-30T00:00:00Z' },
      { cmd: 'seek', ts: 'Nov 15 2024' },
      { cmd: 'seek', ts: '2024-12-02' },
      { cmd: 'speed', speed: 1e-320 },
      { cmd: 'speed', speed: '16' },
    ]
    for (const m of bad) c.ws.send(JSON.stringify({ t: 'ctrl', ...m }))
    c.ws.send(JSON.stringify({ t: 'ctrl', cmd: 'seek', ts: '2024-12-02T15:00:00+01:00', client_seq: 9 }))
    await c.waitFor((m) => m.echo === true && m.client_seq === 9)
    expect(c.messages.filter((m) => m.t === 'err' && m.code === 'VALIDATION')).toHaveLength(bad.length)
    expect(c.messages.filter((m) => m.echo === true)).toHaveLength(1)
    c.ws.close()
  })

  it('rejects bad stream parameters at the handshake with the envelope', async () => {
    await expect(connect(wsUrl('fps=500'))).rejects.toThrow(/handshake 422/)
    await expect(connect(wsUrl('', 'bad.id!'))).rejects.toThrow(/handshake 422/)
    await expect(connect(wsUrl('', '%ZZ'))).rejects.toThrow(/handshake 400/)
    expect((await fetch(`${bff.url}/health`)).status).toBe(200) // still alive
  })

  it('closes with a code and reason over the limits: message size, message rate, idle clients', async () => {
    const big = await connect(wsUrl(), { cookie: 'big' })
    big.ws.send('x'.repeat(100_000))
    expect((await big.closed)[0]).toBe(1009)

    const chatty = await connect(wsUrl(), { cookie: 'chatty' })
    for (let i = 0; i < 40; i++) chatty.ws.send('{"t":"ctrl","cmd":"pause"}')
    expect(await chatty.closed).toEqual([1008, 'too many messages per second'])

    const idle = await connect(wsUrl(), { cookie: 'idle' })
    ;(idle.ws as unknown as { pong: () => void }).pong = () => {}
    const receiver = (
      idle.ws as unknown as { _receiver: { removeAllListeners: (e: string) => void; on: (e: string, f: () => void) => void } }
    )._receiver
    receiver.removeAllListeners('ping')
    receiver.on('ping', () => {})
    expect((await idle.closed)[1]).toBe('idle timeout')
  })

  it('closes over the per-address limit with 1008', async () => {
    const { bff: small } = await startBff(gen.backend.url, { streamMaxPerIp: 3 })
    try {
      const url = `${small.url.replace('http', 'ws')}/api/v1/runs/${runId}/stream`
      const many: Client[] = []
      for (let i = 0; i < 3; i++) many.push(await connect(url))
      const over = await connect(url)
      expect(await over.closed).toEqual([1008, 'too many streams from this address'])
      for (const c of many) c.ws.close()
    } finally {
      await small.close()
    }
  })

  it('counts nothing for a client that leaves during the handshake, and applies a play sent right after open', async () => {
    const { bff: small } = await startBff(gen.backend.url, { streamMaxPerIp: 3 })
    try {
      const url = `${small.url.replace('http', 'ws')}/api/v1/runs/${runId}/stream`
      // Twenty clients that go away while the BFF is still hashing their credentials.
      for (let i = 0; i < 20; i++) {
        const ws = new WebSocket(url, { headers: { authorization: `Bearer leaver-${i}` } })
        ws.on('error', () => {})
        ws.on('upgrade', () => ws.terminate())
        setImmediate(() => ws.terminate())
      }
      await new Promise((r) => setTimeout(r, 300))
      expect(small.streams.connections).toBe(0)
      // The per-address budget is intact: three clients fit, and the first plays at once.
      const c = await connect(url, { authorization: 'Bearer stays' })
      c.ws.send(JSON.stringify({ t: 'ctrl', cmd: 'play', client_seq: 1 }))
      const others = [await connect(url), await connect(url)]
      await c.waitFor((m) => m.echo === true && m.client_seq === 1)
      await c.waitFor((m) => m.t === 'frame')
      for (const o of others) expect(o.ws.readyState).toBe(WebSocket.OPEN)
      for (const x of [c, ...others]) x.ws.close()
    } finally {
      await small.close()
    }
  })

  it('closes over the per-instance limit with 1013', async () => {
    const { bff: small } = await startBff(gen.backend.url, { streamMaxConnections: 2 })
    try {
      const url = `${small.url.replace('http', 'ws')}/api/v1/runs/${runId}/stream`
      const a = await connect(url)
      const b = await connect(url)
      const c = await connect(url)
      expect(await c.closed).toEqual([1013, 'too many streams on this instance'])
      a.ws.close()
      b.ws.close()
    } finally {
      await small.close()
    }
  })

  it('closes playback clients with 1012 on graceful shutdown', async () => {
    const { bff: other } = await startBff(gen.backend.url)
    const c = await connect(`${other.url.replace('http', 'ws')}/api/v1/runs/${runId}/stream`)
    await other.close()
    expect(await c.closed).toEqual([1012, 'BFF restarting'])
  })
})

async function c_waitFrames(c: Client, n: number): Promise<void> {
  for (let i = 0; i < 600 && c.frames().length < n; i++) await new Promise((r) => setTimeout(r, 20))
}

const shared = sharedFixtures('playback artifact fallback against the recorded stream')
describe.skipIf(!shared)('artifact fallback timeline', () => {
  let backend: ReferenceBackend
  beforeAll(async () => {
    backend = await new ReferenceBackend({ root: shared?.dataRoot as string }).start()
  })
  afterAll(async () => backend?.close())

  it('builds exactly the frames the upstream streams (all 132 469 of the AAPL-2024 run, and the 2023 runs)', async () => {
    const artifacts = new FsArtifactSource(shared?.dataRoot as string)
    const catalog = new SqliteMetricsCatalog(path.join(shared?.dataRoot as string, 'data', 'catalog.sqlite'))
    for (const runId of ['2b6f388ab7e84859b914a8b425fd636c', '2d5e4d11831541a38b9af277c23fbf85']) {
      const run = (await (await fetch(`${backend.url}/backtests/${runId}`)).json()) as Parameters<typeof fillTimelineFromArtifacts>[2]
      const tl = new Timeline()
      await fillTimelineFromArtifacts(tl, artifacts, run, await catalog.minuteBarsPath(run.dataset_id as string))
      const sse = await (await fetch(`${backend.url}/backtests/${runId}/stream`)).text()
      const recorded = sse
        .split('\n')
        .filter((l) => l.startsWith('data: {"t": "frame"'))
        .map((l) => JSON.parse(l.slice(6)) as PlaybackFrame)
      expect(tl.length).toBe(recorded.length)
      for (let i = 0; i < recorded.length; i++) {
        const ours = tl.frame(i, tl.ordersAt(i), 0)
        if (JSON.stringify(ours) !== JSON.stringify(recorded[i])) expect(ours).toEqual(recorded[i])
      }
    }
    catalog.close()
  })

  it('serves playback from the artifacts when the upstream stream fails, and says so', async () => {
    backend.setFaults({ streamError: true })
    const { bff } = await startBff(backend.url, { root: shared?.dataRoot })
    try {
      const c = await connect(`${bff.url.replace('http', 'ws')}/api/v1/runs/2d5e4d11831541a38b9af277c23fbf85/stream?autoplay=1`)
      await c.waitFor((m) => m.t === 'end')
      const frames = c.frames()
      expect(frames.length + (frames.at(-1)?.dropped ?? 0)).toBe(2)
      expect(orderIds(c)).toEqual(['o0', 'o1'])
      expect(c.statuses().some((s) => s.source === 'artifacts')).toBe(true)
      expect(c.messages.filter((m) => m.t === 'err')).toEqual([])
      c.ws.close()
    } finally {
      backend.setFaults({})
      await bff.close()
    }
  })
})
