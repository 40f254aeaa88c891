/**
 * Which request headers travel with the BFF's own upstream calls (aggregations, playback loads): the
 * caller's credentials exactly as sent — the BFF has no auth logic of its own — and trace context. The
 * transparent pass-through forwards everything end-to-end instead; this list is for calls the BFF makes.
 */
export const FORWARDED_HEADERS = ['authorization', 'cookie', 'traceparent', 'tracestate'] as const

/** The WebSocket relay's upstream handshake also carries the client's `Origin` and `User-Agent`. */
export const RELAYED_HANDSHAKE_HEADERS = [...FORWARDED_HEADERS, 'origin', 'user-agent'] as const

/**
 * The headers for an upstream call made on a caller's behalf: `names` read from the caller's request, plus
 * the request's correlation id.
 *
 * @example
 * ```ts
 * const headers = forwardedHeaders((n) => req.headers.get(n) ?? undefined, correlationId)
 * await upstream.getRun(runId, { headers })
 * ```
 */
export function forwardedHeaders(
  get: (name: string) => string | undefined,
  correlationId: string,
  names: readonly string[] = FORWARDED_HEADERS,
): Record<string, string> {
  const out: Record<string, string> = { 'x-correlation-id': correlationId }
  for (const name of names) {
    const v = get(name)
    if (v) out[name] = v
  }
  return out
}
