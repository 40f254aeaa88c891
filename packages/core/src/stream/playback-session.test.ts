import { EventEmitter } from 'eventemitter3'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { StreamOrder } from '../contract/stream.js'
import { ManualClock } from '../util/clock.js'
import { PlaybackSession, type PlaybackSessionOptions } from './playback-session.js'
import { Timeline } from './timeline.js'
import type { TimelineLoader } from './timeline-loader.js'

/** A loader stand-in over a ready timeline (the session only reads `timeline`/`status` and listens). */
function readyLoader(frames: number, orderEvery: number[]): TimelineLoader {
  const tl = new Timeline()
  const t0 = Date.UTC(2024, 9, 1)
  let n = 0
  for (let i = 0; i < frames; i++) {
    const orders = orderEvery.some((k) => k > 0 && i % k === 0)
      ? [{ order_id: `o${n++}`, ts_utc: new Date(t0 + i * 60_000).toISOString() } as StreamOrder]
      : []
    tl.push({ ts: new Date(t0 + i * 60_000).toISOString().replace('.000Z', 'Z'), ohlc: null, orders, equity: { value: 100 + i } })
  }
  tl.complete = true
  const ee = new EventEmitter() as unknown as TimelineLoader
  Object.assign(ee, { timeline: tl, status: { state: 'complete', source: 'upstream' } })
  return ee
}

/** Frames in a run, order spacing, fps, speed and a client's back-pressure pattern (it drains in the end). */
const pacing = (orderEvery: fc.Arbitrary<number[]>) =>
  [
    fc.integer({ min: 1, max: 3000 }),
    orderEvery,
    fc.integer({ min: 1, max: 60 }),
    fc.double({ min: 0.5, max: 50, noNaN: true }),
    fc.array(fc.boolean(), { maxLength: 20 }).map((a) => [...a, true]), // a client that never drains gets nothing
  ] as const

/** A session over a ready timeline whose client drains its buffer following `pressure`. */
function pressured(
  frames: number,
  orderEvery: number[],
  pressure: boolean[],
  options: Omit<PlaybackSessionOptions, 'send' | 'canSend' | 'clock'>,
) {
  const clock = new ManualClock(Date.UTC(2026, 0, 1))
  const loader = readyLoader(frames, orderEvery)
  const sent: Record<string, unknown>[] = []
  let k = 0
  const session = new PlaybackSession(loader, {
    ...options,
    send: (m) => sent.push(m),
    canSend: () => pressure[k++ % pressure.length] as boolean,
    clock,
  })
  return { clock, loader, sent, session }
}

/** Ticks until the session says `end` (or a generous bound), then closes it. */
function playToEnd(session: PlaybackSession, clock: ManualClock, fps: number, sent: Record<string, unknown>[]): void {
  for (let i = 0; i < 20_000 && !sent.some((m) => m.t === 'end'); i++) clock.tick(1000 / fps)
  session.close()
}

/** Every order id of the timeline, in order. */
function allOrders(loader: TimelineLoader): string[] {
  const out: string[] = []
  for (let i = 0; i < loader.timeline.length; i++) for (const o of loader.timeline.ordersAt(i)) out.push(o.order_id as string)
  return out
}

describe('PlaybackSession pacing and coalescing', () => {
  it('never loses or repeats an order, whatever fps, speed and client back-pressure', () => {
    fc.assert(
      fc.property(
        ...pacing(fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 3 })),
        (frames, orderEvery, fps, speed, pressure) => {
          const { clock, loader, sent, session } = pressured(frames, orderEvery, pressure, { fps, speed, autoplay: true })
          playToEnd(session, clock, fps, sent)
          const got = sent.filter((m) => m.t === 'frame') as { ts: string; orders: { order_id: string }[]; dropped: number }[]
          const end = sent.find((m) => m.t === 'end') as { frames: number; dropped: number }
          expect(end).toBeDefined()
          const ids = got.flatMap((f) => f.orders.map((o) => o.order_id))
          const expected = allOrders(loader)
          expect(ids).toEqual(expected)
          expect(got.length + (got.at(-1)?.dropped ?? 0)).toBe(frames)
          expect(end.frames).toBe(frames)
          for (let i = 1; i < got.length; i++) expect((got[i]?.ts as string) > (got[i - 1]?.ts as string)).toBe(true)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('paces to at most fps frames per second and plays market time at speed × one year per hour', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const loader = readyLoader(200_000, [])
    const sent: Record<string, unknown>[] = []
    const session = new PlaybackSession(loader, { fps: 30, speed: 1, autoplay: true, send: (m) => sent.push(m), clock })
    clock.tick(1000)
    const frames = sent.filter((m) => m.t === 'frame') as { ts: string }[]
    expect(frames.length).toBeLessThanOrEqual(31)
    const advancedMin = (Date.parse(frames.at(-1)?.ts as string) - Date.parse(frames[0]?.ts as string)) / 60_000
    expect(advancedMin).toBeGreaterThan(140 * (29 / 30) - 1)
    expect(advancedMin).toBeLessThan(150)
    session.close()
  })

  it('pauses, seeks and changes speed per client; rejects bad messages and keeps going', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const loader = readyLoader(100_000, [])
    const sent: Record<string, unknown>[] = []
    const session = new PlaybackSession(loader, { fps: 10, speed: 1, send: (m) => sent.push(m), clock })
    clock.tick(500)
    expect(sent.filter((m) => m.t === 'frame')).toHaveLength(0) // waits for play
    expect(sent.filter((m) => m.t === 'status').map((m) => m.state)).toEqual(['paused'])
    session.handle('{"t":"ctrl","cmd":"play"}')
    clock.tick(1000)
    const played = sent.filter((m) => m.t === 'frame').length
    expect(played).toBeGreaterThan(5)
    session.handle('{"t":"ctrl","cmd":"pause"}')
    clock.tick(1000)
    expect(sent.filter((m) => m.t === 'frame').length).toBe(played)
    session.handle('{"t":"ctrl","cmd":"seek","ts":"2024-11-15T12:00:00Z"}')
    session.handle('{"t":"ctrl","cmd":"play"}')
    clock.tick(200)
    const afterSeek = sent.filter((m) => m.t === 'frame').at(-1) as { ts: string }
    expect(afterSeek.ts >= '2024-11-15T12:00:00Z').toBe(true)
    expect(afterSeek.ts < '2024-11-15T14:00:00Z').toBe(true)
    const before = Date.parse(afterSeek.ts)
    session.handle('{"t":"ctrl","cmd":"speed","speed":2}')
    clock.tick(1000)
    const minutes = (Date.parse((sent.filter((m) => m.t === 'frame').at(-1) as { ts: string }).ts) - before) / 60_000
    expect(minutes).toBeGreaterThan(250)
    expect(minutes).toBeLessThan(300)
    for (const bad of [
      'nope',
      '[1]',
      '{"t":"x"}',
      '{"t":"ctrl","cmd":"fly"}',
      '{"t":"ctrl","cmd":"seek","ts":"never"}',
      '{"t":"ctrl","cmd":"speed","speed":-1}',
    ])
      session.handle(bad)
    expect(sent.filter((m) => m.t === 'err' && m.code === 'VALIDATION')).toHaveLength(6)
    expect(sent.filter((m) => m.echo === true).map((m) => m.cmd)).toEqual(['play', 'pause', 'seek', 'play', 'speed'])
    session.close()
  })

  it('resumes right after `from`', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const loader = readyLoader(1000, [7])
    const sent: Record<string, unknown>[] = []
    const from = Date.UTC(2024, 9, 1) + 499 * 60_000
    const session = new PlaybackSession(loader, { fps: 60, speed: 0.01, autoplay: true, fromMs: from, send: (m) => sent.push(m), clock })
    clock.tick(100)
    const first = sent.find((m) => m.t === 'frame') as { ts: string }
    expect(Date.parse(first.ts)).toBe(from + 60_000)
    session.close()
  })
})

describe('PlaybackSession first frame', () => {
  it('sends a client joining an already loaded timeline its first frame at once, before any tick', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const sent: Record<string, unknown>[] = []
    // fps 1: the first tick would be a whole second away.
    const session = new PlaybackSession(readyLoader(500, [3]), { fps: 1, autoplay: true, send: (m) => sent.push(m), clock })
    expect(sent.filter((m) => m.t === 'frame')).toHaveLength(1)
    expect(sent.find((m) => m.t === 'frame')).toMatchObject({ ts: '2024-10-01T00:00:00Z', dropped: 0 })
    session.handle('{"t":"ctrl","cmd":"pause"}')
    session.handle('{"t":"ctrl","cmd":"seek","ts":"2024-10-01T03:00:00Z"}')
    session.handle('{"t":"ctrl","cmd":"play"}')
    // Play after a seek: that frame goes out at once too.
    expect(sent.filter((m) => m.t === 'frame').at(-1)).toMatchObject({ ts: '2024-10-01T03:00:00Z' })
    session.close()
  })

  it('sends a client of a run still loading its first frame as soon as the loader announces one', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const tl = new Timeline()
    const loader = new EventEmitter() as unknown as TimelineLoader
    Object.assign(loader, { timeline: tl, status: { state: 'connecting', source: 'upstream' } })
    const sent: Record<string, unknown>[] = []
    const session = new PlaybackSession(loader, { fps: 1, autoplay: true, send: (m) => sent.push(m), clock })
    expect(sent.map((m) => m.t)).toEqual(['status'])
    tl.push({ ts: '2024-10-01T00:00:00Z', ohlc: null, orders: [], equity: { value: 1 } })
    ;(loader as unknown as EventEmitter).emit('frames')
    expect(sent.filter((m) => m.t === 'frame')).toHaveLength(1)
    session.close()
  })
})

describe('PlaybackSession fields', () => {
  const frameOf = (m: Record<string, unknown>) =>
    m as { ts: string; orders?: { order_id: string }[]; ohlc?: unknown; equity?: unknown; dropped: number }

  it('gives an orders-only client only frames that carry orders, every order exactly once, whatever the pacing', () => {
    fc.assert(
      fc.property(
        ...pacing(fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 0, maxLength: 3 })),
        fc.boolean(),
        (frames, orderEvery, fps, speed, pressure, viaCtrl) => {
          const { clock, loader, sent, session } = pressured(frames, orderEvery, pressure, {
            fps,
            speed,
            fields: viaCtrl ? undefined : new Set(['orders'] as const),
          })
          if (viaCtrl) session.handle('{"t":"ctrl","cmd":"fields","fields":["orders"]}')
          session.handle('{"t":"ctrl","cmd":"play"}')
          playToEnd(session, clock, fps, sent)
          const got = sent.filter((m) => m.t === 'frame').map(frameOf)
          const expected = allOrders(loader)
          expect(got.flatMap((f) => (f.orders ?? []).map((o) => o.order_id))).toEqual(expected)
          for (const f of got) {
            expect(f.orders?.length).toBeGreaterThan(0)
            expect(Object.keys(f).sort()).toEqual(['dropped', 'orders', 't', 'ts'])
          }
          const end = sent.find((m) => m.t === 'end') as { frames: number; dropped: number }
          expect(end.frames).toBe(frames)
          expect(got.length + end.dropped).toBe(frames)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('sends only the chosen fields, switches with a ctrl command and refuses bad field lists', () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1))
    const sent: Record<string, unknown>[] = []
    const session = new PlaybackSession(readyLoader(100_000, []), {
      fps: 10,
      speed: 1,
      autoplay: true,
      fields: new Set(['equity'] as const),
      send: (m) => sent.push(m),
      clock,
    })
    clock.tick(300)
    expect(Object.keys(sent.filter((m) => m.t === 'frame').at(-1) ?? {}).sort()).toEqual(['dropped', 'equity', 't', 'ts'])
    session.handle('{"t":"ctrl","cmd":"fields","fields":"ohlc,equity"}')
    clock.tick(300)
    expect(Object.keys(sent.filter((m) => m.t === 'frame').at(-1) ?? {}).sort()).toEqual(['dropped', 'equity', 'ohlc', 't', 'ts'])
    for (const bad of ['[]', '["orders","orders"]', '["volume"]', '""', '7', 'null'])
      session.handle(`{"t":"ctrl","cmd":"fields","fields":${bad}}`)
    expect(sent.filter((m) => m.t === 'err' && m.code === 'VALIDATION')).toHaveLength(6)
    session.close()
  })
})
