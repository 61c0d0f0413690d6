import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

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

/**
 * The device cookie (OWASP's "device cookies" against lockout): given after a successful login, it
 * names the e-mail that logged in from this browser and a random device id, signed. A login that shows
 * one for its e-mail is counted on that device's own budget, so guesses made elsewhere, which spend
 * the e-mail's shared budget, cannot lock the owner out of a browser they already used.
 */
export interface Device {
  email: string
  id: string
}

const DEVICE_ID = /^[A-Za-z0-9_-]{22}$/

function deviceSignature(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(`device:${payload}`).digest('base64url').slice(0, SIGNATURE_CHARS)
}

/** A new device cookie value for `email`. */
export function signDevice(email: string): (secret: string) => string {
  const id = randomBytes(16).toString('base64url')
  return (secret) => {
    const payload = `${Buffer.from(email).toString('base64url')}.${id}`
    return `${payload}.${deviceSignature(payload, secret)}`
  }
}

/** The device a cookie value names, or null when it is malformed or not signed here. */
export function verifyDevice(value: string | undefined, secret: string): Device | null {
  if (!value || value.length > 600) return null
  const parts = value.split('.')
  if (parts.length !== 3 || !DEVICE_ID.test(parts[1]!)) return null
  const payload = `${parts[0]}.${parts[1]}`
  const given = Buffer.from(parts[2]!)
  const expected = Buffer.from(deviceSignature(payload, secret))
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null
  return { email: Buffer.from(parts[0]!, 'base64url').toString(), id: parts[1]! }
}
