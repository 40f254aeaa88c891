import { HEAP_BYTES } from '../cache/heap-bytes.js'
import type { PlaybackFrame, StreamOrder } from '../contract/stream.js'
import { isoSeconds } from '../contract/time.js'

/** A frame's order list: the array and its map entry. */
const ORDER_LIST_BYTES = 128
/** The timeline's own objects plus its loader's: the stream reader, parser and decoder state (measured). */
const FIXED_BYTES = 96 * 1024

/**
 * A run's playback timeline, stored compactly: one slot per frame in typed arrays (time, equity, OHLCV with
 * NaN for "no bar") and orders only where there are any — about 56 bytes a frame against ~190 bytes of
 * wire JSON. It fills progressively while the upstream streams, so clients can start before the end.
 */
export class Timeline {
  private ts = new Float64Array(1024)
  private equity = new Float64Array(1024)
  private ohlcv = new Float64Array(1024 * 5)
  private readonly orders = new Map<number, StreamOrder[]>()
  private n = 0
  /** Memory of the order lists, kept as they arrive (reading `bytes` must stay cheap). */
  private orderBytes = 0
  /** True once the last frame is in (the upstream sent `end`, or the artifacts were read whole). */
  complete = false

  get length(): number {
    return this.n
  }

  /** Milliseconds since the epoch of the last frame held, or -Infinity when empty. */
  get lastTs(): number {
    return this.n ? (this.ts[this.n - 1] as number) : Number.NEGATIVE_INFINITY
  }

  /** Appends a frame; frames at or before the last one held are ignored (dedupe on resume). */
  push(frame: { ts: string; ohlc: PlaybackFrame['ohlc']; orders: StreamOrder[]; equity: { value: number } }): boolean {
    const t = Date.parse(frame.ts)
    if (!(t > this.lastTs)) return false
    if (this.n === this.ts.length) this.grow()
    const i = this.n
    this.ts[i] = t
    this.equity[i] = frame.equity.value
    const o = frame.ohlc
    this.ohlcv.set(o ? [o.o, o.h, o.l, o.c, o.v] : [Number.NaN, Number.NaN, Number.NaN, Number.NaN, Number.NaN], i * 5)
    if (frame.orders.length) {
      this.orders.set(i, frame.orders)
      this.orderBytes += ORDER_LIST_BYTES + frame.orders.length * HEAP_BYTES.order
    }
    this.n++
    return true
  }

  timeAt(i: number): number {
    return this.ts[i] as number
  }

  ordersAt(i: number): StreamOrder[] {
    return this.orders.get(i) ?? []
  }

  /** Index of the first frame with time > `ms` (binary search; `length` when none). */
  indexAfter(ms: number): number {
    let lo = 0
    let hi = this.n
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((this.ts[mid] as number) <= ms) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Index of the first frame with time ≥ `ms`. */
  indexAtOrAfter(ms: number): number {
    return this.indexAfter(ms - 1)
  }

  /** Frame `i` in the upstream's shape, carrying `orders` and `dropped` as given (for coalesced frames). */
  frame(i: number, orders: StreamOrder[], dropped: number): PlaybackFrame {
    const ts = isoSeconds(this.ts[i] as number)
    const b = i * 5
    const o = this.ohlcv[b] as number
    return {
      t: 'frame',
      ts,
      ohlc: Number.isNaN(o)
        ? null
        : {
            o,
            h: this.ohlcv[b + 1] as number,
            l: this.ohlcv[b + 2] as number,
            c: this.ohlcv[b + 3] as number,
            v: this.ohlcv[b + 4] as number,
          },
      orders,
      equity: { ts, value: this.equity[i] as number },
      dropped,
    }
  }

  /** Memory held: the typed arrays at capacity, plus the order rows and their map entries (see {@link HEAP_BYTES}). */
  get bytes(): number {
    return FIXED_BYTES + this.ts.byteLength + this.equity.byteLength + this.ohlcv.byteLength + this.orderBytes
  }

  /** What a timeline of `frames` frames with `orders` orders holds (for admission before it is loaded). */
  static expectedBytes(frames: number, orders = 0): number {
    let capacity = 1024
    while (capacity < frames) capacity *= 2
    return FIXED_BYTES + capacity * 7 * 8 + orders * (ORDER_LIST_BYTES + HEAP_BYTES.order)
  }

  private grow(): void {
    const cap = this.ts.length * 2
    const ts = new Float64Array(cap)
    ts.set(this.ts)
    const eq = new Float64Array(cap)
    eq.set(this.equity)
    const ohlcv = new Float64Array(cap * 5)
    ohlcv.set(this.ohlcv)
    this.ts = ts
    this.equity = eq
    this.ohlcv = ohlcv
  }
}
