import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { type PyValue, pyDumps } from '../py-json.js'

export interface GoldenHttpEntry {
  file: string
  name: string
  instance: 'head' | 'alias' | 'subset-head' | 'subset-alias'
  request: { method: string; path: string; url: string; headers: Record<string, string>; body: unknown }
  response: {
    status: number
    headers: Record<string, string>
    body?: unknown
    body_is_raw_text?: boolean
    body_truncated?: boolean
    body_size_bytes: number
    body_sha256: string
    sse?: { total_events: number; events_by_type: Record<string, number>; terminal_event: string }
  }
}

export interface GoldenWsPhase {
  label: string
  sent: string | null
  frames_total: number
  messages?: { t_ms: number; raw: string }[]
  frames_first?: { ts: string; t_ms: number } | null
  frames_last?: { ts: string; t_ms: number; raw?: string } | null
}

export interface GoldenWsSession {
  file: string
  name: string
  instance: 'head' | 'alias'
  request: { url_path: string }
  phases: GoldenWsPhase[]
  closed: { code: number } | null
}

const HTTP_FILES = [
  'health.json',
  'backtests-list.json',
  'backtests-get.json',
  'backtests-post.json',
  'bars-daily.json',
  'bars-minute.json',
  'bars-hour.json',
  'bars-minute-decimated.json',
  'bars-errors.json',
  'misc-http.json',
  'sse-stream.json',
]

/** Every HTTP and SSE exchange recorded in the golden folder, in file and recording order. */
export function loadHttpGoldens(goldenDir: string): GoldenHttpEntry[] {
  return HTTP_FILES.flatMap((file) => {
    const doc = JSON.parse(readFileSync(path.join(goldenDir, file), 'utf8')) as { entries: Omit<GoldenHttpEntry, 'file'>[] }
    return doc.entries.map((e) => ({ ...e, file }))
  })
}

/** Every recorded WebSocket session. */
export function loadWsSessions(goldenDir: string): GoldenWsSession[] {
  return ['ws-head.json', 'ws-alias.json', 'ws-edge-cases.json'].flatMap((file) => {
    const doc = JSON.parse(readFileSync(path.join(goldenDir, file), 'utf8')) as {
      sessions: Record<string, Omit<GoldenWsSession, 'file' | 'name'>>
    }
    return Object.entries(doc.sessions).map(([name, s]) => ({ ...s, name, file }))
  })
}

/** The exact request body bytes the recorder sent (objects were sent as compact JSON). */
export function requestBodyOf(entry: GoldenHttpEntry): Buffer | undefined {
  const body = entry.request.body
  if (body === null || body === undefined) return undefined
  if (typeof body === 'string') return Buffer.from(body)
  return Buffer.from(pyDumps(body as PyValue))
}

export interface HttpResult {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** Sends a request with exactly these headers (Host included) and collects the raw response. */
export function sendRaw(
  baseUrl: string,
  method: string,
  urlPath: string,
  headers: Record<string, string>,
  body?: Buffer,
): Promise<HttpResult> {
  const base = new URL(baseUrl)
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, method, path: urlPath, headers, agent: false, setHost: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** Entries whose body legitimately differs per run: freshly minted stub run ids. */
export function isVolatile(entry: GoldenHttpEntry): boolean {
  const b = entry.response.body as { run_id?: unknown } | undefined
  return typeof b?.run_id === 'string' && b.run_id.startsWith('stub-') && entry.request.method === 'POST'
}

/** Headers whose presence and value are part of the contract (everything but date/server/length/connection). */
const CONTRACT_HEADERS = [
  'content-type',
  'allow',
  'location',
  'cache-control',
  'vary',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-max-age',
]

/**
 * Differences between a live response and a golden entry: status, contract headers, and the body — by
 * sha256 over the exact bytes (so number formats, key order and spacing all count), or for volatile stub
 * ids by shape. Empty when they match.
 */
export function compareHttp(entry: GoldenHttpEntry, actual: HttpResult): string[] {
  const diffs: string[] = []
  const expected = entry.response
  if (actual.status !== expected.status) diffs.push(`status ${actual.status} != ${expected.status}`)
  for (const h of CONTRACT_HEADERS) {
    const want = expected.headers[h]
    const got = actual.headers[h]
    const gotText = Array.isArray(got) ? got.join(', ') : got
    if (want !== gotText) diffs.push(`header ${h}: ${JSON.stringify(gotText)} != ${JSON.stringify(want)}`)
  }
  if (isVolatile(entry)) {
    const want = expected.body as { run_id: string; status: string }
    let got: { run_id?: string; status?: string } = {}
    try {
      got = JSON.parse(actual.body.toString())
    } catch {}
    if (!/^stub-[0-9a-f]{8}$/.test(got.run_id ?? '') || got.status !== want.status || actual.body.length !== expected.body_size_bytes) {
      diffs.push(`body ${actual.body.toString()} does not have the shape of ${JSON.stringify(want)}`)
    }
    return diffs
  }
  const sha = createHash('sha256').update(actual.body).digest('hex')
  if (sha !== expected.body_sha256) {
    const preview = actual.body.subarray(0, 300).toString()
    diffs.push(`body sha256 differs (${actual.body.length} bytes vs ${expected.body_size_bytes}): ${preview}`)
  }
  return diffs
}
