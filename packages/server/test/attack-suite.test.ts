import net from 'node:net'
import { parsePlaybackQuery } from '@hewston-bff/core'
import { parseResponses, type RawResponse } from '@hewston-bff/reference-backend/testing'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { CaptureUpstream, framingProblems } from './support/capture-upstream.js'
import { type BffProcess, spawnBff } from './support/processes.js'

/**
 * The attack suite (issue "a proxy you can put in front of real users"): generated raw-socket requests —
 * methods × framings (Content-Length, chunked, both, duplicate lengths, obfuscated Transfer-Encoding) ×
 * bodies on any method, smuggled requests inside them × absolute-form and odd targets × hop-by-hop headers
 * — through a real `hewston-bff` process to an upstream that records every byte it receives.
 *
 * Properties, per generated request:
 *  - it reaches the upstream at most once, with unambiguous framing and no hop-by-hop header;
 *  - nothing hidden in a body ever becomes an upstream request;
 *  - the response its client gets was made for it (the upstream echoes a per-request tag), and a victim
 *    on another connection still gets its own answer;
 *  - the BFF answers every request it does not forward with a 4xx envelope — never a 5xx of its own;
 * and over the whole run: the process stays up and the circuit breaker never opens.
 *
 * Cases per run: HEWSTON_ATTACK_RUNS (default 10 000). Reproduce a failure with the printed seed:
 * HEWSTON_ATTACK_SEED=<seed> (and HEWSTON_ATTACK_PATH=<path> to shrink straight to it).
 */
const RUNS = Number(process.env.HEWSTON_ATTACK_RUNS ?? 10_000)
const SEED = process.env.HEWSTON_ATTACK_SEED ? Number(process.env.HEWSTON_ATTACK_SEED) : (Date.now() ^ (Math.random() * 2 ** 31)) >>> 0
const PATH = process.env.HEWSTON_ATTACK_PATH

type Framing =
  | 'none'
  | 'cl'
  | 'chunked'
  | 'cl+te'
  | 'dup-cl-same'
  | 'dup-cl-diff'
  | 'cl-list'
  | 'cl-plus'
  | 'te-obfuscated'
  | 'te-twice'
  | 'te-gzip-chunked'
  | 'te-upper'

interface Case {
  method: string
  target: { raw: string; upstream: string }
  framing: Framing
  teVariant: string
  body: Buffer
  hop: [string, string][]
  version: '1.1' | '1.0'
  host: boolean
}

/** Node accepts these Transfer-Encoding spellings as chunked (they are forwarded as plain `chunked`). */
const CHUNKED_ALIASES = ['CHUNKED', '\tchunked', 'Chunked']
/** …and refuses these outright (400 from its parser). */
const TE_REFUSED = ['xchunked', 'chunked, identity', 'identity', 'chunked ,chunked']

/** Request targets as a client writes them, and the origin-form path the upstream must receive. */
const TARGET_TABLE = `
  /api/v1/probe                             /probe
  /probe                                    /probe
  /api/v1                                   /
  /api/v1/                                  /
  //double/slash                            //double/slash
  /api/v1/../backtests                      /../backtests
  /api/v1/%2e%2e/x                          /%2e%2e/x
  /api/v1/backtests/abc                     /backtests/abc
  http://127.0.0.1:1/api/v1/backtests?x=1   /backtests?x=1
  http://evil.example                       /
  http://evil.example?q=1                   /?q=1
  HTTP://h:80/probe                         /probe`
const FIXED_TARGETS = TARGET_TABLE.trim()
  .split('\n')
  .map((line) => line.trim().split(/\s+/) as [string, string])
  .map(([raw, upstream]) => ({ raw, upstream }))

const targets = fc.oneof(
  fc.constantFrom(...FIXED_TARGETS),
  fc
    .tuple(fc.constantFrom('/api/v1/p', '/p', '/backtests'), fc.stringMatching(/^[A-Za-z0-9=&%._~-]{0,40}$/))
    .map(([p, q]) => ({ raw: `${p}?${q}`, upstream: `${p.replace(/^\/api\/v1/, '')}?${q}` })),
)

const smuggled = (n: number) => Buffer.from(`GET /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\nx-tag: smuggled-${n}\r\n\r\n`)

const bodies = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.nat(1000).map(smuggled),
  fc
    .tuple(fc.nat(1000), fc.uint8Array({ maxLength: 50 }))
    .map(([n, a]) => Buffer.concat([Buffer.from(a), Buffer.from('\r\n0\r\n\r\n'), smuggled(n)])),
)

const hopHeaders = fc.subarray<[string, string]>(
  [
    ['Connection', 'close'],
    ['Connection', 'keep-alive, x-drop-me'],
    ['Connection', 'content-length, host'],
    ['Keep-Alive', 'timeout=1, max=1'],
    ['TE', 'trailers'],
    ['Upgrade', 'h2c'],
    ['Proxy-Connection', 'keep-alive'],
    ['Trailer', 'x-after'],
    ['X-Drop-Me', '1'],
    ['Expect', '100-continue'],
  ],
  { maxLength: 4 },
)

const cases: fc.Arbitrary<Case> = fc
  .record({
    method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
    target: targets,
    framing: fc.constantFrom<Framing>(
      'none',
      'cl',
      'chunked',
      'cl+te',
      'dup-cl-same',
      'dup-cl-diff',
      'cl-list',
      'cl-plus',
      'te-obfuscated',
      'te-twice',
      'te-gzip-chunked',
      'te-upper',
    ),
    teVariant: fc.constantFrom(...TE_REFUSED),
    body: bodies,
    hop: hopHeaders,
    version: fc.constantFrom<'1.1' | '1.0'>('1.1', '1.1', '1.1', '1.0'),
    host: fc.boolean(),
  })
  .map((c) => (c.version === '1.0' && !['none', 'cl'].includes(c.framing) ? { ...c, version: '1.1' as const } : c))

/** The bytes a client sends for a case, and what a correct BFF must do with them. */
function encode(c: Case, tag: string): { bytes: Buffer; expect: 'forwarded' | 'refused'; body: Buffer } {
  const chunked = (b: Buffer) =>
    Buffer.concat([
      b.length ? Buffer.from(`${b.length.toString(16)}\r\n`) : Buffer.alloc(0),
      b,
      b.length ? Buffer.from('\r\n') : Buffer.alloc(0),
      Buffer.from('0\r\n\r\n'),
    ])
  const head: string[] = [`${c.method} ${c.target.raw} HTTP/${c.version}`]
  if (c.host) head.push('Host: bff.test')
  head.push(`x-tag: ${tag}`)
  for (const [k, v] of c.hop) head.push(`${k}: ${v}`)
  // Upgrade without a Connection: upgrade token is a plain header on a normal request: it is dropped.
  const body = c.framing === 'none' ? Buffer.alloc(0) : c.body
  // Each framing: the headers it adds, whether the body goes chunked, and whether a correct BFF refuses it.
  const te = (v: string) => `Transfer-Encoding: ${v}`
  const len = (n: number) => `Content-Length: ${n}`
  const FRAMINGS: Record<Framing, [headers: string[], chunkedBody: boolean, refused: boolean]> = {
    none: [[], false, false],
    cl: [[len(body.length)], false, false],
    chunked: [[te('chunked')], true, false],
    'te-upper': [[te(CHUNKED_ALIASES[body.length % CHUNKED_ALIASES.length] as string)], true, false],
    'cl+te': [[len(body.length), te('chunked')], true, true],
    'dup-cl-same': [[len(body.length), len(body.length)], false, true],
    'dup-cl-diff': [[len(body.length), len(body.length + 5)], false, true],
    'cl-list': [[`Content-Length: ${body.length}, ${body.length}`], false, true],
    'cl-plus': [[`Content-Length: +${body.length}`], false, true],
    'te-obfuscated': [[te(c.teVariant)], true, true],
    'te-twice': [[te('chunked'), te('chunked')], true, true],
    // Node parses it; the BFF cannot forward a gzip transfer-coding faithfully, so it refuses.
    'te-gzip-chunked': [[te('gzip, chunked')], true, true],
  }
  const [framingHeaders, chunkedBody, refused] = FRAMINGS[c.framing]
  head.push(...framingHeaders)
  const payload = chunkedBody ? chunked(body) : body
  // HTTP/1.1 needs a Host (HTTP/1.0 does not: the BFF adds the upstream's).
  const expect = refused || (c.version === '1.1' && !c.host) ? 'refused' : 'forwarded'
  return { bytes: Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), payload]), expect, body }
}

/** Sends raw bytes on a fresh connection; resolves with the first response (or none when it closes). */
function exchange(url: string, bytes: Buffer, headRequest: boolean): Promise<RawResponse | undefined> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname)
    let received = ''
    const done = (r: RawResponse | undefined) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(r)
    }
    const final = (closed: boolean) => parseResponses(received, closed, headRequest).find((r) => r.status >= 200)
    const timer = setTimeout(() => done(final(true)), 10_000)
    socket.on('data', (d) => {
      received += d.toString('latin1')
      const first = final(false)
      if (first) done(first)
    })
    socket.on('close', () => done(final(true)))
    socket.on('error', () => {})
    socket.write(bytes)
  })
}

describe('attack suite: hostile raw requests through a real hewston-bff process', () => {
  const capture = new CaptureUpstream()
  let bff: BffProcess
  let victim: (tag: string) => Promise<RawResponse | undefined>

  beforeAll(async () => {
    const upstream = await capture.start()
    bff = await spawnBff(upstream, ['--log-level', 'warn', '--breaker-failures', '3'])
    victim = (tag) => exchange(bff.url, Buffer.from(`GET /api/v1/victim HTTP/1.1\r\nHost: bff.test\r\nx-tag: ${tag}\r\n\r\n`), false)
    process.stdout.write(
      `\n  attack suite: ${RUNS} cases, seed ${SEED}${PATH ? `, path ${PATH}` : ''} (HEWSTON_ATTACK_SEED=${SEED} reproduces this run)\n`,
    )
  })
  afterAll(async () => {
    await bff?.stop()
    await capture.close()
  })

  it(`keeps every generated request (${RUNS}) on its own, unambiguous, answered by the upstream or refused with a 4xx envelope`, async () => {
    let n = 0
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const tag = `case-${n++}`
        const { bytes, expect: expected, body } = encode(c, tag)
        const before = capture.requests.length
        const res = await exchange(bff.url, bytes, c.method === 'HEAD')
        const mine = capture.withTag(tag)
        const hidden = capture.requests.slice(before).filter((r) => r.tag?.startsWith('smuggled-'))
        const problems: string[] = []
        if (hidden.length) problems.push(`a request hidden in the body reached the upstream: ${hidden.map((h) => h.url).join(', ')}`)
        if (mine.length > 1) problems.push(`reached the upstream ${mine.length} times`)
        for (const r of mine) problems.push(...framingProblems(r.rawHeaders))
        if (!res) problems.push('no response')
        else if (res.status >= 500) problems.push(`BFF answered ${res.status}: ${res.body.slice(0, 200)}`)
        else if (expected === 'refused') {
          if (mine.length) problems.push('an ambiguous request was forwarded')
          if (res.status < 400) problems.push(`ambiguous request answered ${res.status}`)
          else if (!res.headers['x-correlation-id']) problems.push('refusal without x-correlation-id')
          else if (c.method !== 'HEAD' && JSON.parse(res.body || '{}').error?.correlation_id !== res.headers['x-correlation-id'])
            problems.push('refusal without the envelope')
        } else {
          if (mine.length !== 1) problems.push(`forwarded ${mine.length} times`)
          const got = mine[0]
          if (got && (got.method !== c.method || got.url !== c.target.upstream))
            problems.push(`upstream got ${got.method} ${got.url}, expected ${c.method} ${c.target.upstream}`)
          if (got && !got.body.equals(body)) problems.push(`upstream got a ${got.body.length}-byte body, expected ${body.length}`)
          if (res.status !== 200) problems.push(`answered ${res.status}: ${res.body.slice(0, 200)}`)
          else if (c.method !== 'HEAD' && JSON.parse(res.body).tag !== tag) problems.push(`got the response of ${JSON.parse(res.body).tag}`)
        }
        // Someone else, on another connection, right after.
        const v = await victim(`victim-${tag}`)
        if (v?.status !== 200 || JSON.parse(v.body).tag !== `victim-${tag}`)
          problems.push(`victim got ${v?.status} ${v?.body.slice(0, 120)}`)
        if (problems.length) throw new Error(`${problems.join('; ')}\n  request: ${JSON.stringify(bytes.toString('latin1').slice(0, 400))}`)
      }),
      { numRuns: RUNS, seed: SEED, path: PATH, endOnFailure: true },
    )
    expect(capture.parseErrors).toBe(0)
    expect(bff.child.exitCode).toBeNull()
    const metrics = await (await fetch(`${bff.url}/metrics`)).text()
    expect(metrics).not.toMatch(/hewston_bff_circuit_breaker_transitions_total\{upstream="backend",to="open"\} [1-9]/)
    expect(metrics).toMatch(/hewston_bff_circuit_breaker_state\{upstream="backend"\} 0/)
  }, 900_000)

  it('accepts exactly the playback handshakes the protocol allows, and stays up (WebSocket cases)', async () => {
    const value = fc.oneof(
      fc.constantFrom(
        '0x10',
        '1e-320',
        '1e3',
        'Infinity',
        'NaN',
        '-1',
        '0',
        '60',
        '2.5',
        '1000000',
        '1000001',
        '0.001',
        '0.0001',
        '',
        ' 5',
        '16 ',
      ),
      fc.double({ noNaN: true }).map(String),
      fc.stringMatching(/^[0-9.eE+-x]{0,8}$/),
    )
    const stamp = fc.constantFrom(
      '2024-12-02T14:30:00Z',
      '2024-02-30T00:00:00Z',
      'Nov 15 2024',
      '2024-12-02',
      '2024-12-02T14:30:00+01:00',
      '2024-12-02T24:00:00Z',
      'garbage',
    )
    await fc.assert(
      fc.asyncProperty(fc.record({ fps: fc.option(value), speed: fc.option(value), from: fc.option(stamp) }), async (q) => {
        const params = new URLSearchParams()
        if (q.fps !== null) params.set('fps', q.fps)
        if (q.speed !== null) params.set('speed', q.speed)
        if (q.from !== null) params.set('from', q.from)
        const valid = parsePlaybackQuery(params).ok
        const ws = new WebSocket(`${bff.url.replace('http', 'ws')}/api/v1/runs/run-1/stream?${params}`)
        const outcome = await new Promise<number>((resolve) => {
          ws.once('open', () => resolve(101))
          ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
          ws.once('error', () => resolve(0))
        })
        ws.terminate()
        if (outcome !== (valid ? 101 : 422)) throw new Error(`handshake ${outcome} for ${params} (valid: ${valid})`)
      }),
      { numRuns: Math.max(50, Math.floor(RUNS / 20)), seed: SEED },
    )
    expect(bff.child.exitCode).toBeNull()
  }, 300_000)
})
