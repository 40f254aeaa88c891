import type { IncomingMessage } from 'node:http'
import proxyaddr from 'proxy-addr'

/** True when `spec` is something `--trust-proxy` accepts: an address, a CIDR, or a proxy-addr keyword. */
export function isTrustedSpec(spec: string): boolean {
  try {
    proxyaddr.compile(spec)
    return spec.length > 0
  } catch {
    return false
  }
}

/**
 * The client's address: the connection's peer, or — when that peer is a trusted proxy (`--trust-proxy`) —
 * the nearest untrusted address in `X-Forwarded-For` (proxy-addr, as Express does it). Anything the
 * client itself wrote there is ignored unless every hop after it is trusted.
 */
export function clientAddressOf(trustProxy: string | undefined): (req: IncomingMessage) => string {
  if (!trustProxy) return (req) => req.socket.remoteAddress ?? 'unknown'
  const trust = proxyaddr.compile(trustProxy.split(',').map((s) => s.trim()))
  return (req) => {
    try {
      return proxyaddr(req as Parameters<typeof proxyaddr>[0], trust)
    } catch {
      return req.socket.remoteAddress ?? 'unknown'
    }
  }
}
