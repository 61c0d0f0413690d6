import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { isIP } from 'node:net'

/**
 * The client address of a request served by scripts/serve.ts, decided once from what this server can
 * trust: the TCP peer, plus as many X-Forwarded-For entries as there are proxies of ours in front.
 * Anything further left in X-Forwarded-For was written by the client and proves nothing.
 */

/** An entry as an address (IPv4-mapped IPv6 unwrapped, port and brackets removed), or undefined. */
function normaliseAddress(raw: string): string | undefined {
  let a = raw.trim()
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(a) // [2001:db8::1] or [2001:db8::1]:443
  if (bracketed) a = bracketed[1]!
  else if (/^[\d.]+:\d{1,5}$/.test(a)) a = a.slice(0, a.lastIndexOf(':')) // 203.0.113.7:5123
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(a) // how a dual-stack socket reports IPv4 peers
  if (mapped) a = mapped[1]!
  const version = isIP(a)
  if (version === 4) return a
  if (version !== 6) return undefined
  // One spelling per IPv6 address (lower case, zeros compressed), so it is one rate-limit key.
  try {
    return new URL(`http://[${a}]`).hostname.slice(1, -1)
  } catch {
    return a.toLowerCase() // e.g. with a zone id, which the URL parser refuses
  }
}

/**
 * The client address, given the socket's peer, the X-Forwarded-For header(s) and the number of
 * proxies in front of this server that each append the address they saw. The chain is the header's
 * entries followed by the socket address (hop 0); the client is the entry `trustedProxyHops` places
 * from the right, or the left-most one if the chain is shorter. An entry that is not an IP address
 * is never returned: the nearest valid entry to its right is (ultimately the socket address), else
 * 'unknown'.
 */
export function resolveClientAddress(input: {
  socketAddress: string | undefined
  forwardedFor: string | string[] | undefined
  trustedProxyHops: number
}): string {
  const hops = Number.isInteger(input.trustedProxyHops) && input.trustedProxyHops > 0 ? input.trustedProxyHops : 0
  const forwarded = [input.forwardedFor ?? []].flat().flatMap((header) => header.split(','))
  const chain = [...forwarded, input.socketAddress ?? '']
  // Entries left of the start were written by the client; from the start rightwards, by our proxies.
  for (let i = Math.max(0, chain.length - 1 - hops); i < chain.length; i++) {
    const address = normaliseAddress(chain[i]!)
    if (address) return address
  }
  return 'unknown'
}

/**
 * Rewrites a request's headers in place before Next sees them, and returns the address it settled on:
 * - x-forwarded-for becomes that one address. Next only fills it in when absent, and the proxy
 *   (src/proxy.ts) keys rate limits on its first hop, so a client-sent value would choose the key;
 * - x-real-ip is dropped: the proxy falls back to it, and only the client could have set it here;
 * - x-iapm-identity is dropped: the proxy sets it for the routes, a client must never supply it.
 */
export function applyClientAddress(req: IncomingMessage, trustedProxyHops: number): string {
  const address = resolveClientAddress({
    socketAddress: req.socket.remoteAddress,
    forwardedFor: req.headers['x-forwarded-for'],
    trustedProxyHops,
  })
  req.headers['x-forwarded-for'] = address
  delete req.headers['x-real-ip']
  delete req.headers['x-iapm-identity']
  return address
}

/** Methods the Fetch API refuses to represent (so Next cannot handle them). */
const UNSUPPORTED_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])

/** Wraps a request handler so that every request reaches it with the headers set by applyClientAddress. */
export function withClientAddress(
  handler: (req: IncomingMessage, res: ServerResponse) => unknown,
  trustedProxyHops: number,
): (req: IncomingMessage, res: ServerResponse) => unknown {
  return (req, res) => {
    // Fuzz finding (tests/fuzz/api.test.ts): Node's HTTP parser accepts CONNECT, TRACE and TRACK, which
    // the WHATWG Request Next builds from every request refuses ("'TRACE' HTTP method is unsupported"):
    // each was a 500 (and a stack trace in the log), even for a cross-site request. No route serves them.
    if (req.method !== undefined && UNSUPPORTED_METHODS.has(req.method)) {
      req.resume()
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD, OPTIONS, POST, PATCH, DELETE' })
      res.end(JSON.stringify({ error: `method ${req.method} is not allowed` }))
      return
    }
    applyClientAddress(req, trustedProxyHops)
    return handler(req, res)
  }
}

/**
 * Applies the same rewrite to upgrade requests (WebSocket), which Node emits as 'upgrade' instead of
 * 'request' and which Next also runs through the proxy. Next adds its own 'upgrade' listener lazily
 * (on the first request); ours is put in front of it at that moment, not before: while a server has
 * no 'upgrade' listener, Node hands upgrade requests to the 'request' handler (already wrapped), and
 * a lone listener of ours would leave them unanswered.
 */
export function guardUpgradeRequests(server: Server, trustedProxyHops: number): void {
  const rewrite = (req: IncomingMessage) => void applyClientAddress(req, trustedProxyHops)
  const onNewListener = (event: string | symbol, listener: unknown) => {
    if (event !== 'upgrade' || listener === rewrite) return
    server.off('newListener', onNewListener)
    server.prependListener('upgrade', rewrite)
  }
  server.on('newListener', onNewListener)
}
