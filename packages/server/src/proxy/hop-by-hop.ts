/**
 * Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection, not the message, so a proxy answers
 * them itself and never forwards them. A client's `Connection: close` forwarded upstream would make the
 * upstream close mid-body and turn a good request into a 502 (and a breaker failure); its `Upgrade` or
 * `TE` would ask the upstream for things the BFF never agreed to.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'transfer-encoding'])

/**
 * Headers a `Connection` list can never remove: they frame the message or name its target. Without this,
 * `Connection: content-length` would strip the length of a body that is still forwarded — the very
 * ambiguity a smuggling attack needs.
 */
const PROTECTED = new Set(['content-length', 'host'])

/** The extra header names a `Connection` header lists (lower case), beyond the hop-by-hop set. */
function connectionTokens(raw: readonly string[]): Set<string> | undefined {
  let tokens: Set<string> | undefined
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).length !== 10 || (raw[i] as string).toLowerCase() !== 'connection') continue
    for (const t of (raw[i + 1] as string).split(',')) {
      const name = t.trim().toLowerCase()
      if (name && !PROTECTED.has(name)) (tokens ??= new Set()).add(name)
    }
  }
  return tokens
}

/**
 * `rawHeaders` without hop-by-hop headers, those a `Connection` header names, and `drop` (names in lower
 * case); order, case and repeats of the rest are kept.
 */
export function endToEndHeaders(raw: readonly string[], drop: ReadonlySet<string>): string[] {
  const named = connectionTokens(raw)
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase()
    if (HOP_BY_HOP.has(name) || drop.has(name) || named?.has(name)) continue
    out.push(raw[i] as string, raw[i + 1] as string)
  }
  return out
}
