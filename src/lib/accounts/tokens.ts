import { createHash, randomBytes } from 'node:crypto'
import type { Redis } from '@upstash/redis'
import { getConfig, redis as defaultRedis } from '@/lib/upstash'

/**
 * Single-use secret tokens (invitations, password resets) kept in Redis with a TTL, never in the
 * database. The token is 32 random bytes (base64url, 43 characters) and only its SHA-256 is stored:
 * a copy of Redis gives no usable link. Single use is one atomic command (GETDEL): two clicks at once,
 * one wins. Costs: put 1 billed command, peek 1, take 1.
 */

export type TokenPurpose = 'invitation' | 'password-reset'

export function newToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url')
  return { token, hash: hashToken(token) }
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** The shape newToken makes: anything else is refused without asking Redis. */
export function isTokenShaped(token: unknown): token is string {
  return typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token)
}

export interface TokenStore {
  put(purpose: TokenPurpose, hash: string, value: object, ttlSeconds: number): Promise<void>
  /** Reads without consuming (a page showing "invitation from Cabinet X"). */
  peek<T>(purpose: TokenPurpose, hash: string): Promise<T | null>
  /** Reads and deletes at once: the token's single use. */
  take<T>(purpose: TokenPurpose, hash: string): Promise<T | null>
}

/** A store on an @upstash/redis client, under `<keyPrefix>:token:<purpose>:<sha256>`. */
export function redisTokenStore(client: Redis | (() => Redis), keyPrefix: string | (() => string)): TokenStore {
  const r = () => (typeof client === 'function' ? client() : client)
  const key = (purpose: TokenPurpose, hash: string) =>
    `${typeof keyPrefix === 'function' ? keyPrefix() : keyPrefix}:token:${purpose}:${hash}`
  // With or without the client's automatic deserialisation, a value comes back as JSON text or already parsed.
  const decode = <T>(v: unknown): T | null =>
    v === null || v === undefined ? null : typeof v === 'string' ? (JSON.parse(v) as T) : (v as T)
  return {
    async put(purpose, hash, value, ttlSeconds) {
      await r().set(key(purpose, hash), JSON.stringify(value), { ex: ttlSeconds })
    },
    async peek(purpose, hash) {
      return decode(await r().get(key(purpose, hash)))
    },
    async take(purpose, hash) {
      return decode(await r().getdel(key(purpose, hash)))
    },
  }
}

/** The process's store: the app's Redis and REDIS_KEY_PREFIX. */
export const tokenStore: TokenStore = redisTokenStore(
  () => defaultRedis,
  () => getConfig().keyPrefix,
)
