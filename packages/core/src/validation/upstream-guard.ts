import type { FieldIssue } from '../errors/validation-error.js'
import { isPyBool, isPyIsoDate, pyInt } from './python-semantics.js'

type BarsRoute = 'daily' | 'minute' | 'hour' | 'minute_decimated'
const BARS: Record<string, BarsRoute> = {
  '/bars/daily': 'daily',
  '/bars/minute': 'minute',
  '/bars/hour': 'hour',
  '/bars/minute_decimated': 'minute_decimated',
}

/** Starlette's `QueryParams.get`: the last value of a repeated parameter wins. */
const last = (q: URLSearchParams, name: string): string | null => {
  const all = q.getAll(name)
  return all.length ? (all[all.length - 1] as string) : null
}

/** A symbol the upstream would use to leave `data/derived/bars/<symbol>/` (it joins it into a path unchecked). */
const escapesFolder = (symbol: string): boolean =>
  symbol.includes('/') || symbol.includes('\\') || symbol.includes('\0') || symbol === '.' || symbol === '..'

/**
 * The minimal guard in front of the transparent proxy: it stops only requests the upstream cannot answer
 * properly itself — those that crash it (an unhandled exception: plain-text 500, no CORS headers, and a
 * dropped connection) and those that reach its filesystem outside the bars folder (contract §6, §11.5-6).
 * Everything the upstream answers on its own, its 4xx included, passes untouched so the client gets the
 * upstream's exact answer.
 *
 * `path` is the upstream path as uvicorn routes it (see `pyUnquote`); the rules follow the upstream's
 * stack: FastAPI's own validation (missing parameters, non-integer `target`, non-boolean `rth_only`) comes
 * first and answers 422, so nothing is checked further then; a `from`/`to` whose first four characters are
 * not an integer crashes every bars endpoint; a date `date.fromisoformat` rejects crashes them too, except
 * `/bars/hour`, which answers 400 itself.
 *
 * Returns the failing fields (empty: forward untouched).
 */
export function guardUpstreamQuery(method: string, path: string, query: URLSearchParams): FieldIssue[] {
  const route = BARS[path]
  if (!route || method.toUpperCase() !== 'GET') return []
  const issues: FieldIssue[] = []
  for (const symbol of query.getAll('symbol')) {
    if (escapesFolder(symbol)) {
      issues.push({ field: 'symbol', message: 'must not contain "/", "\\", NUL or be "." / ".." (it is a folder name upstream)' })
      break
    }
  }
  // FastAPI validates before the handler runs: if it answers 422, the handler never sees the dates.
  const windowRequired = route !== 'daily'
  if (last(query, 'symbol') === null) return issues
  if (windowRequired && (last(query, 'from') === null || last(query, 'to') === null)) return issues
  const target = last(query, 'target')
  if (route === 'minute_decimated' && target !== null && pyInt(target) === undefined) return issues
  const rth = last(query, 'rth_only')
  if (windowRequired && rth !== null && !isPyBool(rth)) return issues

  for (const field of ['from', 'to'] as const) {
    const value = last(query, field)
    if (value === null) continue
    if (pyInt(value.slice(0, 4)) === undefined) {
      issues.push({ field, message: 'must be a date in YYYY-MM-DD format (the upstream fails with a 500 on this year)' })
    } else if (!isPyIsoDate(value) && route !== 'hour') {
      issues.push({ field, message: 'must be a real date in YYYY-MM-DD format (the upstream fails with a 500 on it)' })
    }
  }
  return issues
}
