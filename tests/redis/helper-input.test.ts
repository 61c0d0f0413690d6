import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { RedisInputError, parseInput, PermanentJobError } from '@/redis'
import { MAX_TTL_SECONDS, optionsObjectError, ttlSecondsSchema } from '@/redis/core/helper-input'

/** The error parseInput throws for `value`, or a failure when it does not throw. */
function errorOf(
  schema: z.ZodType,
  value: unknown,
  where = 'thing.do: arg',
  ErrorClass?: new (message: string) => Error,
): Error {
  try {
    parseInput(schema, value, where, ErrorClass)
  } catch (err) {
    return err as Error
  }
  throw new Error(`parseInput accepted ${String(value)}`)
}

describe('parseInput', () => {
  it('returns the parsed value (zod output, transforms applied) when the input is valid', () => {
    expect(parseInput(z.string().trim(), '  a  ', 'thing.do: arg')).toBe('a')
    expect(parseInput(z.object({ n: z.number().default(3) }), {}, 'thing.do: arg')).toEqual({ n: 3 })
  })

  it('formats an issue as "<operation>: <argument>: <message> (got <value>)"', () => {
    const err = errorOf(z.number().min(1, 'must be at least 1'), 0, 'queue.deadLetters: limit')
    expect(err.message).toBe('queue.deadLetters: limit: must be at least 1 (got 0)')
  })

  it('appends the path inside the argument: .field for a key, [i] for an index', () => {
    const schema = z.object({ a: z.object({ b: z.array(z.number({ error: 'expected a number' })) }) })
    expect(errorOf(schema, { a: { b: [1, true] } }).message).toBe('thing.do: arg.a.b[1]: expected a number (got true)')
    expect(errorOf(schema, { a: {} }).message).toMatch(/^thing\.do: arg\.a\.b: .* \(got undefined\)$/)
  })

  it.each([
    [0, '0'],
    [-2.5, '-2.5'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [false, 'false'],
    [null, 'null'],
    [undefined, 'undefined'],
    ['', 'an empty string'],
    ['x', 'a 1-character string'],
    ['session-id-12', 'a 13-character string'],
    [{ a: 1 }, 'an object'],
    [[1, 2], 'an array'],
    [() => 1, 'a function'],
    [10n, 'a bigint'],
    [Symbol('s'), 'a symbol'],
    [new Date(0), 'an object'],
  ])('describes the received %s as (got %s)', (value, described) => {
    expect(errorOf(z.never({ error: 'must not be given' }), value).message).toBe(
      `thing.do: arg: must not be given (got ${described})`,
    )
  })

  it('never echoes a string, at the top or nested, only its length', () => {
    const secret = 'Zm9vYmFyYmF6cXV4c2VjcmV0'
    const top = errorOf(z.string().regex(/^[a-z]+$/, 'may only contain a-z'), secret, 'session.get: id')
    expect(top.message).toBe('session.get: id: may only contain a-z (got a 24-character string)')
    const nested = errorOf(
      z.object({ token: z.number({ error: 'expected a number' }) }),
      { token: secret },
      'thing.do: options',
    )
    expect(nested.message).toBe('thing.do: options.token: expected a number (got a 24-character string)')
    expect(`${top.message} ${nested.message}`).not.toContain(secret)
  })

  it('says nothing about the received value for an unknown key (the value is the whole object)', () => {
    const schema = z.strictObject({ delayMs: z.number().optional() }, optionsObjectError)
    expect(errorOf(schema, { retries: 3 }, 'queue.push: options').message).toBe(
      'queue.push: options: has an unknown key "retries"',
    )
    expect(errorOf(schema, { a: 1, b: 2 }, 'queue.push: options').message).toBe(
      'queue.push: options: has unknown keys "a", "b"',
    )
    expect(errorOf(schema, 'fast', 'queue.push: options').message).toBe(
      'queue.push: options: expected an object (got a 4-character string)',
    )
  })

  it('joins several issues with "; ", each naming its operation, argument and path', () => {
    const schema = z.object({
      userId: z.string({ error: 'must be a string' }),
      role: z.string({ error: 'must be a string' }),
    })
    expect(errorOf(schema, { userId: 7 }, 'session.set: data').message).toBe(
      'session.set: data.userId: must be a string (got 7); session.set: data.role: must be a string (got undefined)',
    )
  })

  it('throws RedisInputError (code REDIS_INPUT) by default, and the ErrorClass given otherwise', () => {
    const byDefault = errorOf(z.string({ error: 'expected a string' }), 1)
    expect(byDefault).toBeInstanceOf(RedisInputError)
    expect((byDefault as RedisInputError).code).toBe('REDIS_INPUT')
    const permanent = errorOf(
      z.string({ error: 'expected a string' }),
      1,
      'ai-analysis-queue job: data',
      PermanentJobError,
    )
    expect(permanent).toBeInstanceOf(PermanentJobError)
    expect(permanent).not.toBeInstanceOf(RedisInputError)
    expect(permanent.name).toBe('PermanentJobError')
    expect(permanent.message).toBe('ai-analysis-queue job: data: expected a string (got 1)')
  })
})

describe('ttlSecondsSchema: the one set of limits for lifetimes', () => {
  it('accepts whole seconds from min to a year (366 days)', () => {
    expect(MAX_TTL_SECONDS).toBe(31_622_400)
    for (const ttl of [1, 60, MAX_TTL_SECONDS])
      expect(parseInput(ttlSecondsSchema({ min: 1 }), ttl, 'x: ttl')).toBe(ttl)
    expect(parseInput(ttlSecondsSchema({ min: 0 }), 0, 'x: swr')).toBe(0)
  })

  it.each([
    [0, 1, 'must be a whole number of seconds from 1 to 31622400 (got 0)'],
    [-1, 0, 'must be a whole number of seconds from 0 to 31622400 (got -1)'],
    [1.5, 1, 'must be a whole number of seconds from 1 to 31622400 (got 1.5)'],
    ['60', 1, 'must be a whole number of seconds from 1 to 31622400 (got a 2-character string)'],
    [Number.NaN, 1, 'must be a whole number of seconds from 1 to 31622400 (got NaN)'],
    [
      MAX_TTL_SECONDS + 1,
      1,
      'must be a whole number of seconds from 1 to 31622400 (366 days): it is in seconds, not ms (got 31622401)',
    ],
  ])('rejects %s (min %s) with one message', (ttl, min, message) => {
    expect(errorOf(ttlSecondsSchema({ min: min as 0 | 1 }), ttl, 'cache.set: ttlSeconds').message).toBe(
      `cache.set: ttlSeconds: ${message}`,
    )
  })
})
