import * as z from 'zod/mini'
import { int } from '../contract/int.js'
import { ValidationError } from '../errors/validation-error.js'
import { boolQueryField, dateField, fieldIssues, firstValues, symbolField } from '../validation/fields.js'

export const TIMEFRAMES = ['1D', '1H', '1M', '1M_DECIMATED'] as const
export type Timeframe = (typeof TIMEFRAMES)[number]

export interface ChartRequest {
  symbol: string
  timeframe: Timeframe
  from_date: string
  to_date: string
  target_points: number
  rth_only: boolean
  format: 'rows' | 'columnar'
}

export interface ChartQueryLimits {
  /** Longest allowed range in days (default 5 years). */
  maxSpanDays?: number
}

/** The zod schema of `/api/v1/chart-data`'s query. */
export function chartQuerySchema(limits: ChartQueryLimits = {}) {
  const maxSpanDays = limits.maxSpanDays ?? 5 * 365 + 1
  return z
    .object({
      symbol: z.pipe(
        symbolField,
        z.transform((s) => s.toUpperCase()),
      ),
      timeframe: z.enum(TIMEFRAMES, { error: `must be one of ${TIMEFRAMES.join(', ')}` }),
      from_date: dateField,
      to_date: dateField,
      target_points: z._default(
        z.pipe(
          z.pipe(z.string().check(z.regex(/^\d+$/, 'must be an integer')), z.transform(Number)),
          int().check(z.gte(10, 'must be at least 10'), z.lte(100_000, 'must be at most 100000')),
        ),
        10_000,
      ),
      rth_only: z._default(boolQueryField, true),
      format: z._default(z.enum(['rows', 'columnar'], { error: 'must be rows or columnar' }), 'rows'),
    })
    .check(
      z.superRefine((q, ctx) => {
        if (q.from_date > q.to_date) ctx.addIssue({ code: 'custom', path: ['from_date'], message: 'must not be after to_date', input: q })
        const span = (Date.parse(q.to_date) - Date.parse(q.from_date)) / 86_400_000 + 1
        if (span > maxSpanDays)
          ctx.addIssue({ code: 'custom', path: ['to_date'], message: `range is ${span} days; at most ${maxSpanDays} allowed`, input: q })
      }),
    )
}

/**
 * Parses a chart-data query (first value of each parameter) or throws {@link ValidationError} naming every
 * failing field.
 */
export function parseChartQuery(params: URLSearchParams | Record<string, string | undefined>, limits?: ChartQueryLimits): ChartRequest {
  const parsed = chartQuerySchema(limits).safeParse(firstValues(params))
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error), 'invalid chart-data query')
  return parsed.data as ChartRequest
}
