import { z } from 'zod'
import { ValidationError } from '../errors/validation-error.js'
import { BOOL_WORDS, isRealDate, parseBool, SYMBOL_RE } from '../validation/fields.js'

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

const date = z.string().refine(isRealDate, 'must be a real date in YYYY-MM-DD format')

/** The zod schema of `/api/v1/chart-data`'s query. */
export function chartQuerySchema(limits: ChartQueryLimits = {}) {
  const maxSpanDays = limits.maxSpanDays ?? 5 * 365 + 1
  return z
    .object({
      symbol: z
        .string()
        .regex(SYMBOL_RE, 'must match ^[A-Za-z0-9.-]{1,16}$')
        .transform((s) => s.toUpperCase()),
      timeframe: z.enum(TIMEFRAMES, { message: `must be one of ${TIMEFRAMES.join(', ')}` }),
      from_date: date,
      to_date: date,
      target_points: z
        .string()
        .regex(/^\d+$/, 'must be an integer')
        .transform(Number)
        .pipe(z.number().int().min(10, 'must be at least 10').max(100_000, 'must be at most 100000'))
        .default(10_000),
      rth_only: z
        .string()
        .refine((s) => (BOOL_WORDS as readonly string[]).includes(s.toLowerCase()), 'must be a boolean (true/false)')
        .transform(parseBool)
        .default(true),
      format: z.enum(['rows', 'columnar'], { message: 'must be rows or columnar' }).default('rows'),
    })
    .superRefine((q, ctx) => {
      if (q.from_date > q.to_date) ctx.addIssue({ code: 'custom', path: ['from_date'], message: 'must not be after to_date' })
      const span = (Date.parse(q.to_date) - Date.parse(q.from_date)) / 86_400_000 + 1
      if (span > maxSpanDays) ctx.addIssue({ code: 'custom', path: ['to_date'], message: `range is ${span} days; at most ${maxSpanDays} allowed` })
    })
}

/**
 * Parses a chart-data query (first value of each parameter) or throws {@link ValidationError} naming every
 * failing field.
 */
export function parseChartQuery(params: URLSearchParams | Record<string, string | undefined>, limits?: ChartQueryLimits): ChartRequest {
  const raw: Record<string, string> = {}
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params)
  for (const [k, v] of entries) if (v !== undefined && !(k in raw)) raw[k] = v
  const parsed = chartQuerySchema(limits).safeParse(raw)
  if (!parsed.success) {
    throw new ValidationError(
      parsed.error.issues.map((i) => ({ field: String(i.path[0] ?? 'query'), message: i.code === 'invalid_type' ? 'is required' : i.message })),
      'invalid chart-data query',
    )
  }
  return parsed.data as ChartRequest
}
