import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * The session cookie's value: `<session id>.<signature>`, the signature an HMAC-SHA256 of the id with
 * SESSION_SECRET (128 bits of it, base64url). A cookie whose signature does not match was not minted
 * here (random, forged, or signed with another secret) and is refused without a Redis command: a
 * flood of made-up cookies costs no billed command. The id alone still decides: it must exist in Redis.
 */

/** What session.create mints: 24 random bytes, base64url. */
const ID = /^[A-Za-z0-9_-]{32}$/
const SIGNATURE_CHARS = 22

function signature(id: string, secret: string): string {
  return createHmac('sha256', secret).update(id).digest('base64url').slice(0, SIGNATURE_CHARS)
}

/** The cookie value for a session id. */
export function signSessionId(id: string, secret: string): string {
  return `${id}.${signature(id, secret)}`
}

/** The session id in a cookie value, or null when it is malformed or its signature is not ours (compared in constant time). */
export function verifySessionCookie(value: string | undefined, secret: string): string | null {
  if (!value || value.length !== 32 + 1 + SIGNATURE_CHARS) return null
  const id = value.slice(0, 32)
  if (!ID.test(id) || value[32] !== '.') return null
  const given = Buffer.from(value.slice(33))
  const expected = Buffer.from(signature(id, secret))
  return given.length === expected.length && timingSafeEqual(given, expected) ? id : null
}
