import * as z from 'zod/mini'
import { type FieldIssue, ValidationError } from '../errors/validation-error.js'
import { boolQueryField, dateField, fieldIssues, firstValues, intField, naturalField, symbolField } from '../validation/fields.js'

/** Run ids as the upstream mints them (32 hex, uuid-like, or the ids it answers dataset-less POSTs with), bounded. */
export const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

export interface RunCompleteOptions {
  include_metrics: boolean
  include_equity: boolean
  include_orders: boolean
  include_fills: boolean
  equity_points: number
  include_chart?: '1H' | '1D'
}

const bool = (def: boolean) => z._default(boolQueryField, def)

/** The query of `GET /api/v1/runs/{id}/complete`. */
export const RunCompleteQuerySchema = z.object({
  include_metrics: bool(true),
  include_equity: bool(true),
  include_orders: bool(true),
  include_fills: bool(false),
  equity_points: z._default(naturalField.check(z.refine((n) => n === 0 || (n >= 10 && n <= 1_000_000), 'must be 0 or 10..1000000')), 2000),
  include_chart: z.optional(z.enum(['1H', '1D'], { error: 'must be 1H or 1D' })),
})

/** Validates a run id and the complete-run options before any I/O. */
export function parseRunCompleteQuery(
  runId: string,
  params: URLSearchParams | Record<string, string | undefined>,
): { runId: string; options: RunCompleteOptions } {
  const issues: FieldIssue[] = []
  if (!RUN_ID_RE.test(runId)) issues.push({ field: 'run_id', message: 'must be 1..64 letters, digits, "-" or "_"' })
  const parsed = RunCompleteQuerySchema.safeParse(firstValues(params))
  if (!parsed.success) issues.push(...fieldIssues(parsed.error))
  if (issues.length || !parsed.success) throw new ValidationError(issues, 'invalid run-complete request')
  return { runId, options: parsed.data as RunCompleteOptions }
}

/** The query of the BFF's `GET /api/v1/runs`. */
export const RunListQuerySchema = z.object({
  limit: z.optional(z.pipe(intField, z.transform(Number))),
  offset: z.optional(z.pipe(intField, z.transform(Number))),
  symbol: z.optional(symbolField),
  strategy_id: z.optional(z.string().check(z.maxLength(200, 'must be at most 200 characters'))),
  from: z.optional(dateField),
  to: z.optional(dateField),
  order: z.optional(z.string().check(z.maxLength(50, 'must be at most 50 characters'))),
})

export type RunListQuery = z.infer<typeof RunListQuerySchema>

/**
 * Validates the query of the BFF's own `GET /api/v1/runs` (the upstream's list filters, checked strictly:
 * this endpoint answers with the BFF's envelope, not the upstream's). Unknown parameters are ignored;
 * a repeated one counts once (its first value).
 */
export function parseRunListQuery(params: URLSearchParams): RunListQuery {
  const parsed = RunListQuerySchema.safeParse(firstValues(params))
  if (!parsed.success) throw new ValidationError(fieldIssues(parsed.error), 'invalid run list query')
  return parsed.data
}
