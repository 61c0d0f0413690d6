import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

/**
 * Links that carry a secret token (invitation, password reset) travel through the e-mail queue, whose
 * jobs sit in Redis until sent (and in the dead letters after). Only the token's hash is stored as the
 * token itself; the job holds the link sealed (AES-256-GCM, key derived from SESSION_SECRET), so a copy
 * of Redis alone yields no usable link.
 */

const INFO = 'iapm mail link seal v1'

function keyFrom(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'iapm-mail', INFO, 32))
}

export class SealError extends Error {
  override name = 'SealError'
}

/** iv.ciphertext.tag, base64url. */
export function seal(plain: string, secret: string): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', keyFrom(secret), iv)
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
  return [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url')).join('.')
}

/** The sealed text, or SealError (tampered, or sealed with another SESSION_SECRET). */
export function unseal(sealed: string, secret: string): string {
  const [iv, body, tag] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'))
  if (!iv || !body || !tag || iv.length !== 12 || tag.length !== 16) throw new SealError('sealed link is malformed')
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFrom(secret), iv)
    decipher.setAuthTag(tag)
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8')
  } catch {
    throw new SealError('sealed link cannot be opened (SESSION_SECRET changed since it was queued, or it was altered)')
  }
}
