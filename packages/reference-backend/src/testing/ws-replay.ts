import WebSocket from 'ws'
import type { GoldenWsSession } from './golden.js'

/** A run of consecutive frames: how many, and the ones the golden kept verbatim, by offset in the run. */
export interface FrameRun {
  kind: 'frames'
  count: number
  verbatim: Map<number, string>
  last?: string
}
export type WsItem = { kind: 'msg'; raw: string } | FrameRun

const isFrame = (raw: string) => raw.startsWith('{"t": "frame"')
const isHeartbeat = (raw: string) => raw === '{"t": "hb"}'

function push(items: WsItem[], raw: string): void {
  const tail = items.at(-1)
  if (!isFrame(raw)) {
    items.push({ kind: 'msg', raw })
  } else if (tail?.kind === 'frames') {
    tail.verbatim.set(tail.count, raw)
    tail.count++
    tail.last = raw
  } else {
    items.push({ kind: 'frames', count: 1, verbatim: new Map([[0, raw]]), last: raw })
  }
}

/**
 * The session as the server produced it, heartbeats left out: phases are cut by client send time, so the
 * frames a phase only counts are placed after its last verbatim frame and before the later messages.
 */
export function expectedItems(session: GoldenWsSession): WsItem[] {
  const items: WsItem[] = []
  for (const phase of session.phases) {
    const messages = phase.messages ?? []
    const shownFrames = messages.filter((m) => isFrame(m.raw)).length
    const hidden = phase.frames_total - shownFrames
    const lastFrameAt = phase.frames_last ? phase.frames_last.t_ms : -1
    let hiddenPlaced = hidden === 0
    const placeHidden = () => {
      if (hiddenPlaced) return
      hiddenPlaced = true
      const tail = items.at(-1)
      let run: FrameRun
      if (tail?.kind === 'frames') run = tail
      else {
        run = { kind: 'frames', count: 0, verbatim: new Map() }
        items.push(run)
      }
      run.count += hidden
      run.last = phase.frames_last?.raw
    }
    for (const m of messages) {
      if (!isFrame(m.raw) && m.t_ms >= lastFrameAt && shownFrames > 0) placeHidden()
      if (isHeartbeat(m.raw)) continue
      push(items, m.raw)
    }
    placeHidden()
  }
  return items
}

export interface Replayed {
  items: WsItem[]
  closeCode: number
}

/** Replays the client side of a session, sending each message once the server has gone quiet. */
export async function replaySession(baseUrl: string, session: GoldenWsSession, quietMs = 400): Promise<Replayed> {
  const ws = new WebSocket(baseUrl.replace(/^http/, 'ws') + session.request.url_path, { perMessageDeflate: false })
  const items: WsItem[] = []
  let lastNonHb = Date.now()
  let closeCode = -1
  const closed = new Promise<void>((resolve) =>
    ws.on('close', (code) => {
      closeCode = code
      resolve()
    }),
  )
  ws.on('error', () => {})
  let received = 0
  ws.on('message', (data) => {
    const raw = data.toString()
    if (isHeartbeat(raw)) return
    received++
    lastNonHb = Date.now()
    push(items, raw)
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  const quiet = async (ms: number, minItems: number) => {
    const deadline = Date.now() + 60_000
    while ((Date.now() - lastNonHb < ms || received < minItems) && ws.readyState === WebSocket.OPEN && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  for (const phase of session.phases.slice(1)) {
    if (ws.readyState !== WebSocket.OPEN) break
    const sent = phase.sent
    if (sent === null) continue
    lastNonHb = Date.now()
    if (sent === 'close(1000)') {
      ws.close(1000)
      break
    }
    const binary = /^<binary \d+ bytes: ([0-9a-f]+)>$/.exec(sent)
    const before = received
    if (binary) ws.send(Buffer.from(binary[1] as string, 'hex'))
    else ws.send(sent)
    // A play answers with its echo, then (after loading the artifacts) frames or an error: wait for both.
    const isPlay = /"cmd"\s*:\s*"play"/.test(sent)
    await quiet(isPlay ? quietMs * 3 : quietMs, before + (isPlay ? 2 : 1))
  }
  if (ws.readyState !== WebSocket.CLOSED) {
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))])
  }
  return { items, closeCode }
}

/** Differences between two item sequences (counts, verbatim frames, messages); empty when equal. */
export function diffItems(actual: WsItem[], expected: WsItem[]): string[] {
  const diffs: string[] = []
  if (actual.length !== expected.length) {
    diffs.push(`${actual.length} items != ${expected.length}: ${describe(actual)} vs ${describe(expected)}`)
    return diffs
  }
  for (const [i, want] of expected.entries()) {
    const got = actual[i] as WsItem
    if (want.kind === 'msg') {
      if (got.kind !== 'msg' || got.raw !== want.raw) diffs.push(`item ${i}: ${describe([got])} != ${want.raw}`)
      continue
    }
    if (got.kind !== 'frames') {
      diffs.push(`item ${i}: ${describe([got])} is not a frame run`)
      continue
    }
    if (got.count !== want.count) diffs.push(`item ${i}: ${got.count} frames != ${want.count}`)
    for (const [offset, raw] of want.verbatim) {
      if (got.verbatim.get(offset) !== raw)
        diffs.push(`item ${i} frame ${offset}: ${got.verbatim.get(offset)?.slice(0, 120)} != ${raw.slice(0, 120)}`)
    }
    if (want.last && got.last !== want.last) diffs.push(`item ${i} last frame: ${got.last?.slice(0, 160)} != ${want.last.slice(0, 160)}`)
  }
  return diffs
}

const describe = (items: WsItem[]) => items.map((it) => (it.kind === 'msg' ? it.raw.slice(0, 60) : `[${it.count} frames]`)).join(' | ')
