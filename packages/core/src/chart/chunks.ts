/** Which upstream endpoint a chart reads: `/bars/daily`, `/bars/hour` or `/bars/minute`. */
export type SourceKind = 'daily' | 'hour' | 'minute'

/** A calendar-aligned slice of one symbol's data: the unit of upstream fetching and of caching. */
export interface Chunk {
  kind: SourceKind
  symbol: string
  /** `2024` (a year) or `2024-03` (a month). */
  id: string
  from: string
  to: string
}

const pad = (n: number) => String(n).padStart(2, '0')
const lastDay = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate()

/**
 * Splits `[fromDate, toDate]` into whole calendar chunks: months for minute data (a month of minutes is
 * ~0.7 MB upstream), years for hour and daily data. Whole chunks are fetched and cached, so an overlapping
 * request later reuses them and only fetches what is new.
 */
export function planChunks(kind: SourceKind, symbol: string, fromDate: string, toDate: string): Chunk[] {
  const [fy, fm] = [Number(fromDate.slice(0, 4)), Number(fromDate.slice(5, 7))]
  const [ty, tm] = [Number(toDate.slice(0, 4)), Number(toDate.slice(5, 7))]
  const chunks: Chunk[] = []
  if (kind === 'minute') {
    // Months are counted as y * 12 + (m - 1) so the loop steps over year ends by itself.
    for (let k = fy * 12 + fm - 1; k <= ty * 12 + tm - 1; k++) {
      const y = Math.floor(k / 12)
      const m = (k % 12) + 1
      chunks.push({ kind, symbol, id: `${y}-${pad(m)}`, from: `${y}-${pad(m)}-01`, to: `${y}-${pad(m)}-${pad(lastDay(y, m))}` })
    }
  } else {
    for (let y = fy; y <= ty; y++) chunks.push({ kind, symbol, id: String(y), from: `${y}-01-01`, to: `${y}-12-31` })
  }
  return chunks
}
