import { z } from 'zod'
import type { FieldIssue } from '../errors/validation-error.js'
import { boolField, dateField, intField, symbolField } from './fields.js'

type Rule = { schema: z.ZodType<string>; required: boolean }
const req = (schema: z.ZodType<string>): Rule => ({ schema, required: true })
const opt = (schema: z.ZodType<string>): Rule => ({ schema, required: false })

const barsWindow = { symbol: req(symbolField), from: req(dateField), to: req(dateField), rth_only: opt(boolField) }

/** Query rules per proxied upstream route (contract §3, §6); parameters not listed pass untouched. */
const RULES: Record<string, Record<string, Rule>> = {
  'GET /bars/daily': { symbol: req(symbolField), from: opt(dateField), to: opt(dateField) },
  'GET /bars/minute': barsWindow,
  'GET /bars/hour': barsWindow,
  'GET /bars/minute_decimated': { ...barsWindow, target: opt(intField) },
  'GET /backtests': {
    limit: opt(intField),
    offset: opt(intField),
    symbol: opt(symbolField),
    from: opt(dateField),
    to: opt(dateField),
  },
}

/**
 * Checks the query of a request bound for the upstream. The real backend answers malformed dates with a
 * plain-text 500 and uses `symbol` unchecked as a folder name, so the BFF stops what it can prove
 * malformed. Returns the failing fields (empty: forward untouched).
 */
export function guardUpstreamQuery(method: string, path: string, query: URLSearchParams): FieldIssue[] {
  const rules = RULES[`${method.toUpperCase()} ${path}`]
  if (!rules) return []
  const issues: FieldIssue[] = []
  for (const [field, rule] of Object.entries(rules)) {
    const values = query.getAll(field)
    if (values.length === 0) {
      if (rule.required) issues.push({ field, message: 'is required' })
      continue
    }
    for (const v of values) {
      const r = rule.schema.safeParse(v)
      if (!r.success) {
        issues.push({ field, message: r.error.issues[0]?.message ?? 'is invalid' })
        break
      }
    }
  }
  return issues
}
