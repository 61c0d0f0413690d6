import { z } from 'zod'
import { RedisInputError } from './errors'
import { MAX_TTL_SECONDS } from './helper-input'
import { encodeJson } from './serialize'

/**
 * How one cache entry is stored, the one place that writes and reads the format:
 * `<generation>|<freshUntilMs>|<json>`.
 * - generation: the namespace generation (an opaque random token) the entry was written under, "0"
 *   outside namespaces. A read compares it with the namespace's current generation, fetched in the
 *   same MGET: an invalidation replaces the token (1 command) and every older entry stops matching.
 * - freshUntilMs: epoch ms after which a stale-while-revalidate entry is served stale and refreshed;
 *   0 = fresh until Redis expires it.
 * - json: the value, from encodeJson (so a string "123" stays a string).
 */
export interface CacheEntry<T> {
  value: T
  generation: string
  /** 0 when the entry has no stale window. */
  freshUntil: number
}

/** The stored form of an entry whose value is already JSON. */
export function encodeEntry(generation: string, freshUntil: number, json: string): string {
  return `${generation}|${freshUntil}|${json}`
}

/** Parses a stored entry; null for a missing key or a value this helper did not write. */
export function decodeEntry<T>(raw: unknown): CacheEntry<T> | null {
  if (typeof raw !== 'string') return null
  const a = raw.indexOf('|')
  const b = a < 0 ? -1 : raw.indexOf('|', a + 1)
  if (b < 0) return null
  const freshUntil = Number(raw.slice(a + 1, b))
  if (!Number.isFinite(freshUntil)) return null
  try {
    return { generation: raw.slice(0, a), freshUntil, value: JSON.parse(raw.slice(b + 1)) as T }
  } catch {
    return null // not ours (written by something else under our prefix): treat as a miss, never throw
  }
}

export { MAX_TTL_SECONDS }

const ttlSchema = (name: string, min: number) =>
  z.number({ error: `${name} must be a number of seconds` }).refine((n) => Number.isInteger(n) && n >= min && n <= MAX_TTL_SECONDS, {
    error: (issue) => `${name} must be a whole number of seconds from ${min} to ${MAX_TTL_SECONDS} (got ${String(issue.input)})`,
  })

const schemas = {
  key: z
    .string({ error: 'cache key must be a string' })
    .min(1, { error: 'cache key must not be empty' })
    .max(1024, { error: 'cache key must be at most 1024 characters' }),
  // "{" and "}" would move the hash tag that keeps a namespace's keys in one slot (and make two namespaces' keys collide).
  namespace: z
    .string({ error: 'cache namespace must be a string' })
    .regex(/^[^{}]{1,200}$/, { error: 'cache namespace must be 1-200 characters without "{" or "}"' }),
  ttl: ttlSchema('ttlSeconds', 1),
  swr: ttlSchema('staleWhileRevalidate', 0),
}

function check<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value)
  if (!r.success) throw new RedisInputError(r.error.issues.map((i) => i.message).join('; '))
  return r.data
}

export const validateKey = (key: unknown): string => check(schemas.key, key)
export const validateNamespace = (ns: unknown): string => check(schemas.namespace, ns)
export const validateTtl = (ttl: unknown): number => check(schemas.ttl, ttl)
export const validateSwr = (swr: unknown): number => check(schemas.swr, swr)

/** JSON of a value to cache; RedisInputError (nothing written) if it is not JSON-safe or over maxBytes. */
export function encodeValue(value: unknown, maxBytes: number): string {
  return encodeJson(value, 'cached value', maxBytes)
}
