// Plays a run through the BFF's paced playback stream and prints a progress bar, then the frame and order
// counts (frames received + dropped = frames in the run; every order arrives exactly once).
//
//   node --import tsx examples/stream-run.ts --bff http://127.0.0.1:8001 [--run <id>] [--speed 600] [--fps 30] [--fields orders]
//
// Exit codes: 0 played to the end; 1 the BFF refused or failed (an unknown run, credentials the backend
// refuses, the BFF unreachable: the message says which); 2 bad usage.
import WebSocket from 'ws'
import { fail, num, parseOptions } from './lib/cli.js'

const values = parseOptions(
  {
    bff: { type: 'string', default: process.env.HEWSTON_BFF_URL ?? 'http://127.0.0.1:8001' },
    run: { type: 'string' },
    speed: { type: 'string', default: '600' },
    fps: { type: 'string', default: '30' },
    fields: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  'usage: stream-run.ts --bff <url> [--run <run id>] [--speed <n>] [--fps <n>] [--fields ohlc,orders,equity]',
)
const bff = (values.bff as string).replace(/\/+$/, '')
const service = { name: 'BFF', url: bff, flag: '--bff' }
let runId = values.run as string | undefined
let detail: { run_from?: string; run_to?: string } = {}
try {
  if (!runId) {
    const runs = (await (await fetch(`${bff}/api/v1/backtests?limit=1`)).json()) as { items: { run_id: string }[] }
    runId = runs.items[0]?.run_id
  }
  if (!runId) {
    console.error(`the backend behind ${bff} has no runs yet: create one, or generate demo data with \`npm start\``)
    process.exit(1)
  }
  // Only for the progress bar's scale; the stream's handshake gives the real answer for an unknown run.
  const detailRes = await fetch(`${bff}/api/v1/backtests/${encodeURIComponent(runId)}`)
  if (detailRes.ok) detail = (await detailRes.json()) as typeof detail
  else await detailRes.body?.cancel()
} catch (err) {
  fail(err, service)
}
const startMs = Date.parse(`${detail.run_from ?? '1970-01-01'}T00:00:00Z`)
const endMs = Date.parse(`${detail.run_to ?? '1970-01-01'}T23:59:59Z`)

const query = new URLSearchParams({ autoplay: '1', speed: values.speed as string, fps: values.fps as string })
if (values.fields) query.set('fields', values.fields)
const ws = new WebSocket(`${bff.replace(/^http/, 'ws')}/api/v1/runs/${encodeURIComponent(runId as string)}/stream?${query}`)
// A refused handshake (unknown run, bad parameters, credentials refused): print the answer and stop.
ws.on('unexpected-response', (_req, res) => {
  let body = ''
  res.on('data', (d: Buffer) => (body += d))
  res.on('end', () => {
    const envelope = (() => {
      try {
        return (JSON.parse(body) as { error?: { code: string; message: string } }).error
      } catch {
        return undefined
      }
    })()
    console.error(envelope ? `${envelope.code}: ${envelope.message}` : `the BFF refused the stream: ${res.statusCode} ${body}`)
    process.exit(1)
  })
})
let frames = 0
let orders = 0
let dropped = 0
let lastPct = -1
const tty = process.stdout.isTTY
const bar = (pct: number) => {
  const width = 30
  const done = Math.round((pct / 100) * width)
  return `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${String(pct).padStart(3)}%`
}
ws.on('message', (data) => {
  const m = JSON.parse(data.toString()) as {
    t: string
    ts?: string
    orders?: unknown[]
    dropped?: number
    state?: string
    code?: string
    msg?: string
  }
  if (m.t === 'frame') {
    frames++
    orders += m.orders?.length ?? 0
    dropped = m.dropped ?? dropped
    const pct = endMs > startMs ? Math.min(100, Math.floor(((Date.parse(m.ts as string) - startMs) / (endMs - startMs)) * 100)) : 0
    if (tty) process.stdout.write(`\r${bar(pct)} ${m.ts} frames ${num(frames, 0)} orders ${num(orders, 0)}`)
    else if (pct >= lastPct + 25) {
      lastPct = pct - (pct % 25)
      console.log(`${bar(pct)} ${m.ts}`)
    }
  } else if (m.t === 'status' && m.state !== 'live') {
    if (tty) process.stdout.write('\n')
    console.log(`status: ${m.state}`)
  } else if (m.t === 'err' && m.code !== 'VALIDATION') {
    // The stream failed for good (the BFF says so once, then its status is `error`): stop rather than wait.
    console.error(`error: ${m.code}: ${m.msg}`)
    ws.terminate()
    process.exit(1)
  } else if (m.t === 'end') {
    if (tty) process.stdout.write('\n')
    console.log(`${bar(100)}`)
    console.log(
      `run ${runId}: ${num(frames, 0)} frames received + ${num(dropped, 0)} coalesced = ${num(frames + dropped, 0)} frames; ${num(orders, 0)} orders`,
    )
    ws.close()
  }
})
ws.on('close', (code) => process.exit(code === 1000 || code === 1005 ? 0 : 1))
ws.on('error', (err) => fail(err, service))
