// What the examples share: human-readable numbers, and errors that name their cause and what to do about
// it — with exit code 1 for failures and 2 for bad usage, never a raw stack trace for an expected failure.
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { isBffError } from '@hewston-bff/core'

/** parseArgs (options must include `help`), but `--help` prints the usage and exits 0, and an unknown or malformed option prints it and exits 2. */
export function parseOptions<const O extends NonNullable<ParseArgsConfig['options']>>(options: O, usage: string) {
  let values: ReturnType<typeof parseArgs<{ options: O }>>['values']
  try {
    values = parseArgs({ options }).values
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`)
    process.exit(2)
  }
  if ((values as { help?: boolean }).help) {
    console.log(usage)
    process.exit(0)
  }
  return values
}

/** 1 234.57-style numbers: grouped, at most `decimals` decimals (no 99989.21999999997). */
export const num = (v: number | null | undefined, decimals = 2): string =>
  typeof v === 'number' && Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: decimals }) : '–'

const PERCENT = /return|drawdown|cagr|volatility|rate/
/** A run metric as people read it: returns and drawdowns in %, ratios with 2 decimals. */
export const metric = (name: string, v: number | null | undefined): string => {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–'
  if (PERCENT.test(name)) {
    const pct = v * 100
    // Two decimals; two significant digits for small values; below 0.0001 % it is float noise (0.00 %).
    if (Math.abs(pct) < 1e-4) return '0.00 %'
    return `${Math.abs(pct) >= 0.1 ? pct.toFixed(2) : pct.toPrecision(2)} %`
  }
  return v.toFixed(2)
}

/** The first system error code (ECONNREFUSED, …) along an error's `cause` chain. */
function networkCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 6; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return e.code
  }
  return undefined
}

/**
 * Prints what went wrong for someone who just ran the example — for a network failure, which service
 * could not be reached, why, and what to try; otherwise the BFF's or backend's error code and message —
 * and exits 1.
 */
export function fail(err: unknown, service: { name: string; url: string; flag: string }): never {
  const code = networkCode(err)
  if (code) {
    console.error(
      `cannot reach the ${service.name} at ${service.url} (${code}): is it running? Start the demo with \`npm start\`, or pass ${service.flag} <url>.`,
    )
  } else if (isBffError(err)) {
    const details = err.details === null || err.details === undefined ? '' : ` (${JSON.stringify(err.details)})`
    console.error(`${err.code}: ${err.message}${details}`)
  } else {
    console.error(`${service.name}: ${(err as Error)?.message ?? String(err)}`)
  }
  process.exit(1)
}
