/**
 * What cached values really hold in memory (V8 heap plus typed-array backing stores; Node 22/24 on x64),
 * so byte bounds bound memory rather than JSON length. The figures are measurements, kept honest by
 * `packages/core/test/heap-accounting.test.ts`: it fails when an accounting falls below what the
 * structure measures, or above twice that.
 */
export const HEAP_BYTES = {
  /** One LRU entry's own bookkeeping: key and value slots, TTL and size arrays, list links. */
  entry: 176,
  /** A bar as an object `{t: ISO string, o, h, l, c, v}` (the rows format of an answer). */
  rowBar: 240,
  /** A bar in the wire columns format: a timestamp string and five numbers, each in its array. */
  wireColumnBar: 160,
  /** A bar in `ColumnarBars`: six arrays of doubles, with the slack of arrays grown by `push`. */
  numberColumnBar: 72,
  /**
   * A bar of an answer's JSON serialisation, which a host may keep beside the answer for as long as the
   * answer lives (the server's chart-data route does, to answer repeated requests without re-serialising).
   */
  serializedBar: 96,
  /** An equity point `{ts, value}`. */
  equityPoint: 112,
  /** An order or fill row (seven columns, two strings of its own). */
  order: 224,
  /** An object's fixed part: header, a few fields, small strings. */
  object: 256,
} as const

/**
 * Bytes of a string: V8 keeps one byte per character when all of them are Latin-1 (JSON from the
 * upstream is ASCII: Python escapes the rest), two otherwise; plus the string's header.
 */
export function stringBytes(s: string): number {
  return 24 + (/[\u0100-\uffff]/.test(s) ? 2 : 1) * s.length
}
