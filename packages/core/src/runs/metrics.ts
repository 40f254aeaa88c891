/** A point of an equity curve. */
export interface EquityPoint {
  ts: string
  value: number
}

/**
 * The metrics every run answer carries, in both modes: whatever `metrics.json` or the catalog holds, with
 * these completed from the equity curve when absent — so a run has the same metrics through the BFF (with
 * or without `--root`) and in the browser's direct mode.
 */
export const RUN_METRICS = ['total_return', 'max_drawdown', 'cagr', 'volatility', 'sharpe', 'sortino'] as const

export interface ComputedMetrics {
  total_return: number | null
  max_drawdown: number | null
  cagr: number | null
  volatility: number | null
  sharpe: number | null
  sortino: number | null
}

const DAY_MS = 86_400_000
const TRADING_DAYS = 252

/**
 * Metrics from an equity curve alone (the last source when neither `metrics.json` nor the catalog has
 * them). Formulas (documented in docs/runs.md):
 * - total_return = last / first − 1
 * - max_drawdown = max over t of (peak_t − value_t) / peak_t, a positive fraction (as metrics.json)
 * - daily returns r_d from the last value of each UTC day; volatility = stdev(r) · √252
 * - sharpe = mean(r) / stdev(r) · √252 (risk-free 0); sortino = mean(r) / √mean(min(r,0)²) · √252
 * - cagr = (last / first)^(365.25 / days) − 1 over the curve's calendar span (null under one day)
 */
export function computeMetrics(equity: readonly EquityPoint[]): ComputedMetrics {
  const none: ComputedMetrics = { total_return: null, max_drawdown: null, cagr: null, volatility: null, sharpe: null, sortino: null }
  if (equity.length === 0) return none
  const first = (equity[0] as EquityPoint).value
  const last = (equity.at(-1) as EquityPoint).value
  if (!(first > 0)) return none
  let peak = -Infinity
  let maxDd = 0
  for (const p of equity) {
    if (p.value > peak) peak = p.value
    if (peak > 0) maxDd = Math.max(maxDd, (peak - p.value) / peak)
  }
  // Daily closes (UTC days), then simple returns.
  const closes: number[] = []
  let day = ''
  for (const p of equity) {
    const d = p.ts.slice(0, 10)
    if (d !== day) {
      closes.push(p.value)
      day = d
    } else closes[closes.length - 1] = p.value
  }
  const r: number[] = []
  for (let i = 1; i < closes.length; i++) r.push((closes[i] as number) / (closes[i - 1] as number) - 1)
  const mean = r.length ? r.reduce((a, b) => a + b, 0) / r.length : 0
  const sd = r.length > 1 ? Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / (r.length - 1)) : 0
  const downside = r.length ? Math.sqrt(r.reduce((a, b) => a + Math.min(b, 0) ** 2, 0) / r.length) : 0
  const spanDays = (Date.parse((equity.at(-1) as EquityPoint).ts) - Date.parse((equity[0] as EquityPoint).ts)) / DAY_MS
  return {
    total_return: last / first - 1,
    max_drawdown: maxDd,
    cagr: spanDays >= 1 ? (last / first) ** (365.25 / spanDays) - 1 : null,
    volatility: r.length > 1 ? sd * Math.sqrt(TRADING_DAYS) : null,
    sharpe: sd > 0 ? (mean / sd) * Math.sqrt(TRADING_DAYS) : null,
    sortino: downside > 0 ? (mean / downside) * Math.sqrt(TRADING_DAYS) : null,
  }
}

/** `base` (artifact or catalog metrics, which win) completed with the {@link RUN_METRICS} it lacks, from `computed`. */
export function completeMetrics(base: Record<string, number | null>, computed: ComputedMetrics): Record<string, number | null> {
  const out: Record<string, number | null> = { ...base }
  for (const k of RUN_METRICS) if (!(k in out)) out[k] = computed[k]
  return out
}

/** True when `metrics` already has every one of {@link RUN_METRICS}. */
export const hasAllRunMetrics = (metrics: Record<string, unknown>): boolean => RUN_METRICS.every((k) => k in metrics)
