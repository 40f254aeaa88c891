/** Accepted client-supplied ids: 8..128 URL-safe characters (UUIDs, ULIDs, trace ids). */
const VALID = /^[A-Za-z0-9._:-]{8,128}$/

/**
 * The correlation id of a request: the client's `x-correlation-id` (or `x-request-id`) when it is a sane
 * token, otherwise a fresh UUID. Never trusts arbitrary header text into logs.
 */
export function correlationIdFrom(
  headers: { get(name: string): string | null | undefined },
  generate: () => string = () => crypto.randomUUID(),
): string {
  for (const name of ['x-correlation-id', 'x-request-id']) {
    const v = headers.get(name)
    if (v && VALID.test(v)) return v
  }
  return generate()
}

export const isValidCorrelationId = (v: string): boolean => VALID.test(v)
