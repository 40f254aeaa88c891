import { z } from 'zod'
import { ValidationError } from '../errors/validation-error.js'
import { BOOL_WORDS, dateField, intField, parseBool, symbolField } from '../validation/fields.js'

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

const bool = (def: boolean) =>
  z
    .string()
    .refine((s) => (BOOL_WORDS as readonly string[]).includes(s.toLowerCase()), 'must be a boolean (true/false)')
    .transform(parseBool)
    .default(def)

const OptionsSchema = z.object({
  include_metrics: bool(true),
  include_equity: bool(true),
  include_orders: bool(true),
  include_fills: bool(false),
  equity_points: z
    .string()
    .regex(/^\d+$/, 'must be an integer')
    .transform(Number)
    .refine((n) => n === 0 || (n >= 10 && n <= 1_000_000), 'must be 0 or 10..1000000')
    .default(2000),
  include_chart: z.enum(['1H', '1D'], { message: 'must be 1H or 1D' }).optional(),
})

/** Validates a run id and the complete-run options before any I/O. */
export function parseRunCompleteQuery(runId: string, params: URLSearchParams | Record<string, string | undefined>): { runId: string; options: RunCompleteOptions } {
  const raw: Record<string, string> = {}
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params)
  for (const [k, v] of entries) if (v !== undefined && !(k in raw)) raw[k] = v
  const issues: { field: string; message: string }[] = []
  if (!RUN_ID_RE.test(runId)) issues.push({ field: 'run_id', message: 'must be 1..64 letters, digits, "-" or "_"' })
  const parsed = OptionsSchema.safeParse(raw)
  if (!parsed.success) for (const i of parsed.error.issues) issues.push({ field: String(i.path[0]), message: i.message })
  if (issues.length || !parsed.success) throw new ValidationError(issues, 'invalid run-complete request')
  return { runId, options: parsed.data as RunCompleteOptions }
}

const RunListSchema = z.object({
  limit: intField.transform(Number).optional(),
  offset: intField.transform(Number).optional(),
  symbol: symbolField.optional(),
  strategy_id: z.string().max(200, 'must be at most 200 characters').optional(),
  from: dateField.optional(),
  to: dateField.optional(),
  order: z.string().max(50, 'must be at most 50 characters').optional(),
})

export type RunListQuery = z.infer<typeof RunListSchema>

/**
 * Validates the query of the BFF's own `GET /api/v1/runs` (the upstream's list filters, checked strictly:
 * this endpoint answers with the BFF's envelope, not the upstream's). Unknown parameters are ignored;
 * a repeated one counts once (its first value).
 */
export function parseRunListQuery(params: URLSearchParams): RunListQuery {
  const raw: Record<string, string> = {}
  for (const [k, v] of params) if (!(k in raw)) raw[k] = v
  const parsed = RunListSchema.safeParse(raw)
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((i) => ({ field: String(i.path[0]), message: i.message })), 'invalid run list query')
  }
  return parsed.data
}
