import { z } from 'zod'
import { resolveContext, type ContextSource } from '../core/context'
import { RedisInputError } from '../core/errors'
import { keyNameSchema, parseInput } from '../core/helper-input'
import { withRedis } from '../core/run'
import { decodeJson, encodeJson } from '../core/serialize'

/**
 * Structured objects in a Redis hash (`<prefix>:hash:<key>`), one field per property.
 * Each field is stored as JSON, so types survive the round trip (42 comes back as 42, '42' as '42'),
 * and a number field is stored as its plain JSON digits, which HINCRBY/HINCRBYFLOAT understand.
 * Failure: hashes are data, not cache, so an unreachable Redis throws RedisUnavailableError
 * (REDIS_UNAVAILABLE) and REDIS_ENABLED=false throws RedisDisabledError, as sessions do.
 */
export interface HashMap {
  /** Writes every property of `object` as a field (other fields are kept). 1 command (HSET). Returns how many fields were new. */
  set(key: string, object: object): Promise<number>
  /** One field, with its type; null when the field or the hash is absent. 1 command (HGET). */
  get<T = unknown>(key: string, field: string): Promise<T | null>
  /** The whole object, or null when the hash does not exist. 1 command (HGETALL). */
  getAll<T extends object = Record<string, unknown>>(key: string): Promise<T | null>
  /** Deletes the given fields (returns how many existed), or the whole hash when no field is given (returns 1 if it existed). 1 command (HDEL or DEL). */
  del(key: string, ...fields: string[]): Promise<number>
  /**
   * Adds `by` to a number field (created at 0 when absent) and returns the new value. 1 command
   * (HINCRBY for a whole `by`, HINCRBYFLOAT otherwise). A field holding a non-number, or a
   * whole-number increment on a fractional field, throws RedisInputError.
   */
  increment(key: string, field: string, by?: number): Promise<number>
}

const fieldSchema = z.string({ error: 'expected a string' }).min(1, 'must not be empty')
// Rejects arrays too (zod's record wants a plain object): `hashMap.set: object: expected a plain object of fields (got an array)`.
const objectSchema = z.record(z.string(), z.unknown(), { error: 'expected a plain object of fields' })

export function createHashMap(source: ContextSource): HashMap {
  const keyOf = (key: string, op: string) =>
    resolveContext(source).keys.key('hash', parseInput(keyNameSchema, key, `hashMap.${op}: key`))

  return {
    async set(key, object) {
      const ctx = resolveContext(source)
      const redisKey = keyOf(key, 'set')
      const fields = parseInput(objectSchema, object, 'hashMap.set: object')
      const encoded: Record<string, string> = {}
      for (const [field, value] of Object.entries(fields)) {
        if (value === undefined) continue // as JSON would: an undefined property is absent
        encoded[field] = encodeJson(value, `hashMap.set: object.${field}`)
      }
      if (Object.keys(encoded).length === 0)
        throw new RedisInputError('hashMap.set: object: expected at least one defined field')
      return withRedis(ctx, 'hashMap.set', (redis) => redis.hset(redisKey, encoded))
    },

    async get<T>(key: string, field: string) {
      const ctx = resolveContext(source)
      const redisKey = keyOf(key, 'get')
      parseInput(fieldSchema, field, 'hashMap.get: field')
      const raw = await withRedis(ctx, 'hashMap.get', (redis) => redis.hget<string>(redisKey, field))
      return decodeJson<T>(raw)
    },

    async getAll<T extends object>(key: string) {
      const ctx = resolveContext(source)
      const redisKey = keyOf(key, 'getAll')
      // With automatic deserialisation off, HGETALL comes back as the flat [field, value, …] reply.
      const raw = await withRedis(ctx, 'hashMap.getAll', (redis) => redis.hgetall(redisKey) as Promise<unknown>)
      const entries = toEntries(raw)
      if (entries.length === 0) return null
      const out: Record<string, unknown> = {}
      for (const [field, value] of entries) out[field] = decodeJson(value)
      return out as unknown as T
    },

    async del(key, ...fields) {
      const ctx = resolveContext(source)
      const redisKey = keyOf(key, 'del')
      fields.forEach((f, i) => parseInput(fieldSchema, f, `hashMap.del: fields[${i}]`))
      return withRedis(ctx, 'hashMap.del', (redis) =>
        fields.length ? redis.hdel(redisKey, ...fields) : redis.del(redisKey),
      )
    },

    async increment(key, field, by = 1) {
      const ctx = resolveContext(source)
      const redisKey = keyOf(key, 'increment')
      parseInput(fieldSchema, field, 'hashMap.increment: field')
      parseInput(z.number({ error: 'expected a finite number' }), by, 'hashMap.increment: by') // zod 4's number refuses NaN and ±Infinity
      try {
        const result = await withRedis(ctx, 'hashMap.increment', (redis) =>
          Number.isInteger(by) ? redis.hincrby(redisKey, field, by) : redis.hincrbyfloat(redisKey, field, by),
        )
        return Number(result)
      } catch (err) {
        // Redis's own refusal means the field holds something else than a number (e.g. a JSON string).
        if (err instanceof Error && /not an integer|not a (valid )?float|overflow/i.test(err.message)) {
          throw new RedisInputError(
            `hashMap.increment: field "${field}" of "${key}" cannot be incremented by ${by}: ${err.message.replace(/^.*ERR /, '')}` +
              (Number.isInteger(by) ? ' (a fractional field needs a fractional increment)' : ''),
          )
        }
        throw err
      }
    },
  }
}

function toEntries(raw: unknown): [string, unknown][] {
  if (raw === null || raw === undefined) return []
  if (Array.isArray(raw)) {
    const out: [string, unknown][] = []
    for (let i = 0; i + 1 < raw.length; i += 2) out.push([String(raw[i]), raw[i + 1]])
    return out
  }
  return Object.entries(raw as Record<string, unknown>)
}
