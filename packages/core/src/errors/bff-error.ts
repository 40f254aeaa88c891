const BRAND = Symbol.for('hewston-bff.error')

/**
 * Base of every error the BFF originates. Each carries a stable `code` (the `error.code` of the canonical
 * envelope) and optional `details`. Use {@link isBffError} rather than `instanceof`: the brand survives
 * duplicated bundles and realms.
 */
export class BffError extends Error {
  readonly [BRAND] = true
  constructor(
    readonly code: string,
    message: string,
    readonly details: unknown = null,
    options?: { cause?: unknown },
  ) {
    super(message, options)
    this.name = 'BffError'
  }
}

export function isBffError(value: unknown): value is BffError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
}
