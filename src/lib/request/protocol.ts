import { createHmac, timingSafeEqual } from 'node:crypto'
import { identitySchema, type Identity } from '@/lib/core/identity'
import { UNVERIFIED_ADDRESS } from '@/lib/core/client-address'
import { appConfig } from '@/lib/core/config'
import { configuredTimeoutMs, RedisBudget } from '@/lib/upstash'

/**
 * The one header protocol between src/proxy.ts and the app (routes, pages, server actions). The proxy
 * deletes every client-sent copy of these headers and writes its own; the app reads them only through
 * readForwarded. Nothing else names them.
 *
 * - IDENTITY_HEADER: who is calling, signed (HMAC-SHA256, key derived from SESSION_SECRET). A request
 *   that reached a route without going through the proxy (a matcher hole, a direct call to the Next
 *   server) cannot carry an identity: an unsigned or badly signed value is read as "not logged in".
 * - CLIENT_ADDRESS_HEADER: the client address the proxy trusts (src/lib/core/client-address.ts).
 * - REDIS_SPENT_HEADER: what the proxy already spent of the request's Redis budget, in ms. A relative
 *   figure, not a deadline: no clock has to agree with another.
 * All live in the app's x-iapm-* namespace, which scripts/serve.ts also strips from clients' requests.
 */
export const IDENTITY_HEADER = 'x-iapm-identity'
export const CLIENT_ADDRESS_HEADER = 'x-iapm-client-address'
export const REDIS_SPENT_HEADER = 'x-iapm-redis-spent-ms'

/** Every header of the protocol: a client may send none of them. */
export const PROTOCOL_HEADERS = [IDENTITY_HEADER, CLIENT_ADDRESS_HEADER, REDIS_SPENT_HEADER] as const

/** What the proxy hands to the app for one request. */
export interface Forwarded {
  identity: Identity | null
  /** The client address the proxy settled on (≤ 64 characters). */
  address: string
  /** What the proxy left of the request's Redis budget. */
  budget: RedisBudget
}

// ---- proxy side -------------------------------------------------------------------------------

/**
 * A fresh budget of REDIS_TIMEOUT_MS: the proxy's, at the start of a request (the package's default when
 * the Redis configuration is broken: the first Redis call reports that, not every request).
 */
export function newRequestBudget(): RedisBudget {
  return new RedisBudget(configuredTimeoutMs())
}

/**
 * The headers the proxy forwards: the request's own, less any client-sent protocol header, plus the
 * proxy's (the identity signed). Without SESSION_SECRET no identity can be signed, and none is sent
 * (no session could be resolved without it either).
 */
export function forwardedHeaders(
  incoming: Headers,
  forwarded: { identity: Identity | null; address: string; budget: RedisBudget },
): Headers {
  const headers = new Headers(incoming)
  for (const name of PROTOCOL_HEADERS) headers.delete(name)
  const key = identityKey()
  if (forwarded.identity && key) headers.set(IDENTITY_HEADER, signIdentity(forwarded.identity, key))
  headers.set(CLIENT_ADDRESS_HEADER, forwarded.address)
  headers.set(REDIS_SPENT_HEADER, String(Math.ceil(forwarded.budget.spentMs)))
  return headers
}

// ---- app side ---------------------------------------------------------------------------------

/** What the proxy forwarded; a missing or forged identity is null, a missing budget header counts as nothing spent. */
export function readForwarded(headers: Pick<Headers, 'get'>): Forwarded {
  const key = identityKey()
  return {
    identity: key ? verifyIdentity(headers.get(IDENTITY_HEADER), key) : null,
    address: (headers.get(CLIENT_ADDRESS_HEADER) || UNVERIFIED_ADDRESS).slice(0, 64),
    budget: budgetLeft(headers),
  }
}

/** What the proxy left of the request's budget, as a budget of its own (never more than REDIS_TIMEOUT_MS). */
function budgetLeft(headers: Pick<Headers, 'get'>): RedisBudget {
  const total = configuredTimeoutMs()
  const spent = Number(headers.get(REDIS_SPENT_HEADER))
  return new RedisBudget(Number.isFinite(spent) && spent > 0 ? Math.max(0, total - spent) : total)
}

// ---- the signed identity ----------------------------------------------------------------------

const SIGNATURE_CHARS = 43 // a whole SHA-256, base64url

/** `<identity JSON, base64url>.<HMAC-SHA256 of it, base64url>`: header-safe whatever the names hold. */
export function signIdentity(identity: Identity, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify(identity)).toString('base64url')
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`
}

/** The identity in a header value, or null when absent, malformed or not signed with `key` (compared in constant time). */
export function verifyIdentity(value: string | null | undefined, key: Buffer): Identity | null {
  if (!value || value.length > 4096) return null
  const dot = value.lastIndexOf('.')
  if (dot <= 0) return null
  const payload = value.slice(0, dot)
  const given = Buffer.from(value.slice(dot + 1))
  const expected = Buffer.from(createHmac('sha256', key).update(payload).digest('base64url'))
  if (given.length !== SIGNATURE_CHARS || given.length !== expected.length || !timingSafeEqual(given, expected))
    return null
  try {
    const parsed = identitySchema.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString()))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** The identity header's own key, derived from SESSION_SECRET (never the cookie's key itself); null without one. */
export function identityKeyFor(sessionSecret: string | undefined): Buffer | null {
  return sessionSecret ? createHmac('sha256', sessionSecret).update('iapm:identity-header:v1').digest() : null
}

let derived: { secret: string | undefined; key: Buffer | null } | undefined
function identityKey(): Buffer | null {
  const secret = appConfig().sessionSecret
  if (!derived || derived.secret !== secret) derived = { secret, key: identityKeyFor(secret) }
  return derived.key
}
