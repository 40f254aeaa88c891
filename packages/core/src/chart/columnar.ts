/** Bars as parallel arrays; `t` is the bar start in ms since the epoch (UTC). Compact to cache and merge. */
export interface ColumnarBars {
  t: number[]
  o: number[]
  h: number[]
  l: number[]
  c: number[]
  v: number[]
}

export const emptyBars = (): ColumnarBars => ({ t: [], o: [], h: [], l: [], c: [], v: [] })

/** Upstream rows (`{t: ISO, o, h, l, c, v}`) to columns. */
export function toColumnar(rows: readonly { t: string; o: number; h: number; l: number; c: number; v: number }[]): ColumnarBars {
  const out = emptyBars()
  for (const r of rows) {
    out.t.push(Date.parse(r.t))
    out.o.push(r.o)
    out.h.push(r.h)
    out.l.push(r.l)
    out.c.push(r.c)
    out.v.push(r.v)
  }
  return out
}

/** Appends bar `i` of `src` to `out`, at time `t` (its own, or a bucket start). */
export function pushBar(out: ColumnarBars, src: ColumnarBars, i: number, t: number): void {
  out.t.push(t)
  out.o.push(src.o[i] as number)
  out.h.push(src.h[i] as number)
  out.l.push(src.l[i] as number)
  out.c.push(src.c[i] as number)
  out.v.push(src.v[i] as number)
}

/** Concatenates already-ordered, non-overlapping chunks and keeps bars with `fromMs <= t <= toMs`. */
export function mergeRange(chunks: readonly ColumnarBars[], fromMs: number, toMs: number): ColumnarBars {
  const out = emptyBars()
  for (const b of chunks) {
    for (let i = 0; i < b.t.length; i++) {
      const t = b.t[i] as number
      if (t < fromMs || t > toMs) continue
      pushBar(out, b, i, t)
    }
  }
  return out
}
