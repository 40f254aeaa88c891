/**
 * The request target, read once and used for everything: routing, the guard, metrics and what is
 * forwarded upstream — so what is checked is exactly what is sent. The absolute form
 * (`GET http://host/x?y HTTP/1.1`) is reduced to its path and query; `new URL(path, base)` is never used on
 * a path, because it would read `//evil/x` as a host.
 */
export interface RequestTarget {
  /** The path, `%`-escapes as received (`*` for `OPTIONS *`). */
  readonly path: string
  /** The query including its `?`, or `''`. */
  readonly search: string
}

const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/

/** The origin-form target of a request line, or undefined when it is none of the forms HTTP/1.1 allows. */
export function parseRequestTarget(url: string): RequestTarget | undefined {
  if (url === '*') return { path: '*', search: '' }
  let rest = url
  if (!rest.startsWith('/')) {
    const m = ABSOLUTE.exec(rest)
    if (!m) return undefined
    rest = rest.slice(m[0].length)
    if (!rest.startsWith('/')) rest = `/${rest}`
  }
  const q = rest.indexOf('?')
  return q === -1 ? { path: rest, search: '' } : { path: rest.slice(0, q), search: rest.slice(q) }
}
