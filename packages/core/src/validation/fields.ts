import * as z from 'zod/mini'
import type { FieldIssue } from '../errors/validation-error.js'

/**
 * Query fields as the BFF's own endpoints accept them — strict, unlike the minimal guard in front of the
 * pass-through, which follows the upstream's looser rules (`python-semantics.ts`).
 */

/** Symbols: letters, digits, `.` and `-`, 1..16 characters (no path tricks). */
export const SYMBOL_RE = /^[A-Za-z0-9.-]{1,16}$/

export const symbolField = z.string().check(z.regex(SYMBOL_RE, 'must match ^[A-Za-z0-9.-]{1,16}$'))

/** Whether `YYYY-MM-DD` names a real calendar date. */
export function isRealDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
  if (!m) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const date = new Date(Date.UTC(y, mo - 1, d))
  return y >= 1000 && date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d
}

export const dateField = z.string().check(z.refine(isRealDate, 'must be a real date in YYYY-MM-DD format'))

/** An integer as a query string carries it (optional sign, digits only). */
export const intField = z.string().check(z.regex(/^[+-]?\d{1,15}$/, 'must be an integer'))

/** A non-negative integer query value, as a number. */
export const naturalField = z.pipe(z.string().check(z.regex(/^\d{1,15}$/, 'must be an integer')), z.transform(Number))

/** Booleans spelled the way the upstream (pydantic 1) accepts them. */
export const BOOL_WORDS = ['0', 'off', 'f', 'false', 'n', 'no', '1', 'on', 't', 'true', 'y', 'yes'] as const
export const boolField = z
  .string()
  .check(z.refine((s) => (BOOL_WORDS as readonly string[]).includes(s.toLowerCase()), 'must be a boolean (true/false)'))
export const parseBool = (s: string): boolean => ['1', 'on', 't', 'true', 'y', 'yes'].includes(s.toLowerCase())

/** A boolean query value, as a boolean. */
export const boolQueryField = z.pipe(boolField, z.transform(parseBool))

/** The first value of each parameter (a repeated parameter counts once), undefined values dropped. */
export function firstValues(params: URLSearchParams | Record<string, string | undefined>): Record<string, string> {
  const raw: Record<string, string> = {}
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params)
  for (const [k, v] of entries) if (v !== undefined && !(k in raw)) raw[k] = v
  return raw
}

/** zod issues as the field list of a `VALIDATION` envelope (a missing field reads "is required"). */
export function fieldIssues(error: { issues: readonly { code: string; path: readonly PropertyKey[]; message: string }[] }): FieldIssue[] {
  return error.issues.map((i) => ({ field: String(i.path[0] ?? 'query'), message: i.code === 'invalid_type' ? 'is required' : i.message }))
}
