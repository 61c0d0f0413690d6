import { z } from 'zod'
import { parseInput, ttlSecondsSchema } from '../core/helper-input'
import { encodeJson } from '../core/serialize'

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

const schemas = {
  key: z
    .string({ error: 'expected a string' })
    .min(1, { error: 'must not be empty' })
    .max(1024, { error: 'must be at most 1024 characters' }),
  // "{" and "}" would move the hash tag that keeps a namespace's keys in one slot (and make two namespaces' keys collide).
  namespace: z
    .string({ error: 'expected a string' })
    .regex(/^[^{}]{1,200}$/, { error: 'must be 1-200 characters without "{" or "}"' }),
  ttl: ttlSecondsSchema({ min: 1 }),
  swr: ttlSecondsSchema({ min: 0 }),
}

// Each validator takes the operation, so its RedisInputError reads `cache.get: key: must not be empty (got an empty string)`.

/** A cache key (1-1024 characters), or RedisInputError naming `operation`: checked before any Redis call. */
export const validateKey = (key: unknown, operation: string): string =>
  parseInput(schemas.key, key, `${operation}: key`)
/** A namespace name (1-200 characters, no braces, which would break its hash tag), or RedisInputError naming `operation`. */
export const validateNamespace = (name: unknown, operation: string): string =>
  parseInput(schemas.namespace, name, `${operation}: name`)
/** A TTL in whole seconds, 1 to a year, or RedisInputError naming `operation` and the `argument` (default ttlSeconds). */
export const validateTtl = (ttl: unknown, operation: string, argument = 'ttlSeconds'): number =>
  parseInput(schemas.ttl, ttl, `${operation}: ${argument}`)
/** A stale-while-revalidate window in whole seconds, 0 to a year, or RedisInputError naming `operation` and the `argument`. */
export const validateSwr = (swr: unknown, operation: string, argument = 'options.staleWhileRevalidate'): number =>
  parseInput(schemas.swr, swr, `${operation}: ${argument}`)

/** JSON of a value to cache; RedisInputError (nothing written) if it is not JSON-safe or over maxBytes. */
export function encodeValue(value: unknown, maxBytes: number): string {
  return encodeJson(value, 'cached value', maxBytes)
}
