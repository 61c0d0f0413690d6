import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import type { ClientAddressSource } from '@/lib/core/config'

/** Set by scripts/serve.ts on every request it hands to Next: its per-process secret, proof that it rewrote X-Forwarded-For. */
export const SERVER_STAMP_HEADER = 'x-iapm-server-stamp'
/** The address of every caller whose address cannot be trusted (a plain `next start`): they share one rate-limit key. */
export const UNVERIFIED_ADDRESS = 'unverified'
/**
 * The app's own header namespace (src/lib/request/protocol.ts names the proxy → app headers in it): a
 * client may send none of them. This file does not import the protocol: scripts/serve.ts loads it
 * before Next, and the protocol needs the Redis layer.
 */
const APP_HEADER_PREFIX = 'x-iapm-'

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
 * - every x-iapm-* header is dropped: the proxy sets its own for the app, a client must never supply one.
 */
export function applyClientAddress(req: IncomingMessage, trustedProxyHops: number, stamp?: string): string {
  const address = resolveClientAddress({
    socketAddress: req.socket.remoteAddress,
    forwardedFor: req.headers['x-forwarded-for'],
    trustedProxyHops,
  })
  req.headers['x-forwarded-for'] = address
  delete req.headers['x-real-ip']
  for (const name of Object.keys(req.headers)) if (name.startsWith(APP_HEADER_PREFIX)) delete req.headers[name]
  if (stamp) req.headers[SERVER_STAMP_HEADER] = stamp
  return address
}

/**
 * The client address the proxy may trust for a request, by where the app runs (AppConfig's
 * clientAddressSource): the platform's X-Real-IP on Vercel; behind scripts/serve.ts, the
 * X-Forwarded-For it wrote, once the request's stamp proves it went through it; otherwise (a plain
 * `next start`, or a request without the stamp) UNVERIFIED_ADDRESS, since the client chose the header.
 */
export function trustedClientAddress(
  headers: Pick<Headers, 'get'>,
  where: { clientAddressSource: ClientAddressSource; serverStamp: string | undefined },
): string {
  const first = (h: string | null) => h?.split(',')[0]?.trim() || undefined
  let address: string | undefined
  if (where.clientAddressSource === 'platform')
    address = first(headers.get('x-real-ip')) ?? first(headers.get('x-forwarded-for'))
  else if (
    where.clientAddressSource === 'server' &&
    where.serverStamp &&
    sameSecret(headers.get(SERVER_STAMP_HEADER), where.serverStamp)
  ) {
    address = first(headers.get('x-forwarded-for'))
  }
  return (address && normaliseAddress(address)) || UNVERIFIED_ADDRESS
}

/** Constant-time comparison: the stamp is a secret, its prefix must not leak through timing. */
function sameSecret(given: string | null, expected: string): boolean {
  if (!given) return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Methods the Fetch API refuses to represent (so Next cannot handle them). */
const UNSUPPORTED_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK'])

/** Wraps a request handler so that every request reaches it with the headers set by applyClientAddress. */
export function withClientAddress(
  handler: (req: IncomingMessage, res: ServerResponse) => unknown,
  trustedProxyHops: number,
  stamp?: string,
): (req: IncomingMessage, res: ServerResponse) => unknown {
  return (req, res) => {
    // Node's HTTP parser accepts CONNECT, TRACE and TRACK, which the WHATWG Request Next builds refuses
    // ("'TRACE' HTTP method is unsupported"): a 500 and a stack trace otherwise. No route serves them.
    if (req.method !== undefined && UNSUPPORTED_METHODS.has(req.method)) {
      req.resume()
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD, OPTIONS, POST, PATCH, DELETE' })
      res.end(JSON.stringify({ error: `method ${req.method} is not allowed` }))
      return
    }
    applyClientAddress(req, trustedProxyHops, stamp)
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
export function guardUpgradeRequests(server: Server, trustedProxyHops: number, stamp?: string): void {
  const rewrite = (req: IncomingMessage) => void applyClientAddress(req, trustedProxyHops, stamp)
  const onNewListener = (event: string | symbol, listener: unknown) => {
    if (event !== 'upgrade' || listener === rewrite) return
    server.off('newListener', onNewListener)
    server.prependListener('upgrade', rewrite)
  }
  server.on('newListener', onNewListener)
}

/**
 * The rate-limit key for an address: an IPv4 address as it is, an IPv6 one by its /64 prefix (one
 * subscriber's network: anyone holding one has 2^64 addresses to rotate through).
 */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address
  // Expanded to 8 groups first, so that every spelling of one network gives one key.
  const [head = '', tail = ''] = address.split('::')
  const left = head ? head.split(':') : []
  const right = tail ? tail.split(':') : []
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left
  if (groups.length !== 8 || groups.some((g) => g.includes('.'))) return address // IPv4-embedded forms: keep whole
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`
}
