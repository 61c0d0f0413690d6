import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createContext, createRateLimit, createSession, RedisInputError } from '@/redis'
import { directClient } from '../../testing/redis-direct'
import { uniquePrefix } from '../../testing/stack'

const env = inject('stack')
const prefix = uniquePrefix('ratelimit')
// A generous timeout: these tests check counting, not outages; on a busy 2-core machine 300
// concurrent HTTP calls can exceed the 1 s default and would then (correctly) fail open.
const ctx = createContext({
  ...env,
  REDIS_KEY_PREFIX: prefix,
  REDIS_TIMEOUT_MS: '10000',
  UPSTASH_DISABLE_TELEMETRY: 'true',
})
const session = createSession(ctx)
let direct: Awaited<ReturnType<typeof directClient>>

beforeAll(async () => {
  direct = await directClient(env.REDIS_URL)
})
afterAll(async () => {
  await direct.close()
})

/**
 * A window (in seconds) whose current bucket still has over a minute to run, so a test's calls all
 * land in one bucket: the sliding window then counts exactly, with no previous-bucket weighting.
 */
function windowAwayFromBoundary(base = 3600): number {
  for (let w = base; ; w++) if (w * 1000 - (Date.now() % (w * 1000)) > 60_000) return w
}

describe('session.rateLimit (seed API)', () => {
  it('answers { allowed, remaining, resetAt, limit } as in the seed', async () => {
    const userId = 'u-seed'
    const before = Date.now()
    const { allowed, remaining, resetAt, limit, reason } = await session.rateLimit(`api:${userId}`, 100, 900)
    expect(allowed).toBe(true)
    expect(remaining).toBe(99)
    expect(limit).toBe(100)
    expect(reason).toBeUndefined()
    // resetAt: end of the current 900 s bucket, in ms since the epoch.
    expect(resetAt).toBe((Math.floor(before / 900_000) + 1) * 900_000)
    expect(resetAt).toBeGreaterThan(Date.now())
    expect(resetAt - Date.now()).toBeLessThanOrEqual(900_000)
  })

  it('admits `limit` requests, then refuses with remaining 0 until the bucket ends', async () => {
    const w = windowAwayFromBoundary()
    const results = []
    for (let i = 0; i < 5; i++) results.push(await session.rateLimit('api:sequential', 3, w))
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false])
    expect(results.map((r) => r.remaining)).toEqual([2, 1, 0, 0, 0])
    expect(new Set(results.map((r) => r.resetAt)).size).toBe(1)
  })

  it('admits exactly 100 of 300 concurrent calls with limit 100', async () => {
    const w = windowAwayFromBoundary()
    const results = await Promise.all(Array.from({ length: 300 }, () => session.rateLimit('api:burst', 100, w)))
    expect(results.filter((r) => r.reason !== undefined)).toEqual([])
    expect(results.filter((r) => r.allowed)).toHaveLength(100)
    // Every admitted call saw a distinct remaining count: 99 … 0.
    expect(new Set(results.filter((r) => r.allowed).map((r) => r.remaining)).size).toBe(100)
  })

  it('is exact across instances: two contexts (two "servers") share one budget', async () => {
    const w = windowAwayFromBoundary()
    const other = createRateLimit(
      createContext({ ...env, REDIS_KEY_PREFIX: prefix, REDIS_TIMEOUT_MS: '10000', UPSTASH_DISABLE_TELEMETRY: 'true' }),
    )
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        i % 2 ? session.rateLimit('api:shared', 50, w) : other('api:shared', 50, w),
      ),
    )
    expect(results.filter((r) => r.allowed)).toHaveLength(50)
  })

  it('keeps identifiers and windows apart; limits on one identifier+window share its count', async () => {
    const w = windowAwayFromBoundary()
    expect((await session.rateLimit('api:a', 1, w)).allowed).toBe(true)
    expect((await session.rateLimit('api:a', 1, w)).allowed).toBe(false)
    expect((await session.rateLimit('api:b', 1, w)).allowed).toBe(true)
    expect((await session.rateLimit('api:a', 1, w + 1)).allowed).toBe(true) // another window: another counter
    // Same identifier and window, higher limit (e.g. a plan upgrade): the 1 request already made counts.
    expect(await session.rateLimit('api:a', 5, w)).toMatchObject({ allowed: true, remaining: 3 })
  })

  it('keeps the documented key contract (rate-limit.ts, docs/helpers.md, the layout of @upstash/ratelimit): <prefix>:ratelimit:<window>s:{<identifier>}:<bucket>, expiring after two windows + 1 s', async () => {
    const w = windowAwayFromBoundary()
    await session.rateLimit('api:layout', 10, w)
    await session.rateLimit('api:layout', 10, w)
    const key = `${prefix}:ratelimit:${w}s:{api:layout}:${Math.floor(Date.now() / (w * 1000))}`
    expect(await direct.get(key)).toBe('2')
    const ttl = await direct.pTTL(key)
    expect(ttl).toBeGreaterThan(2 * w * 1000 + 1000 - 10_000)
    expect(ttl).toBeLessThanOrEqual(2 * w * 1000 + 1000)
  })

  it('weights the previous bucket (sliding window): a full previous bucket still blocks early in the next', async () => {
    // Seed the previous bucket's counter directly, as if 10 requests had come in the last bucket.
    const w = windowAwayFromBoundary(60)
    const bucket = Math.floor(Date.now() / (w * 1000))
    await direct.set(`${prefix}:ratelimit:${w}s:{api:weighted}:${bucket - 1}`, '10', { PX: 120_000 })
    // The weight depends on the moment of the call: compute it just before and just after, the answer is one of the two.
    const weightAt = (t: number) => Math.floor((1 - (t % (w * 1000)) / (w * 1000)) * 10)
    const before = weightAt(Date.now())
    const answer = await session.rateLimit('api:weighted', 10, w)
    const after = weightAt(Date.now())
    expect(before).toBeLessThan(10)
    expect(answer.allowed).toBe(true)
    expect([10 - before - 1, 10 - after - 1]).toContain(answer.remaining)

    // 100 in the previous bucket weigh at least 10 for the first 90 % of this one: refused.
    await direct.set(`${prefix}:ratelimit:${w}s:{api:heavy}:${bucket - 1}`, '100', { PX: 120_000 })
    expect((Date.now() % (w * 1000)) / (w * 1000)).toBeLessThan(0.9)
    expect(await session.rateLimit('api:heavy', 10, w)).toMatchObject({ allowed: false, remaining: 0 })
  })

  it('throws on a counter that is not a number (written by something else), rather than refuse until the next bucket', async () => {
    const w = windowAwayFromBoundary(60)
    const bucket = Math.floor(Date.now() / (w * 1000))
    await direct.set(`${prefix}:ratelimit:${w}s:{api:garbled}:${bucket - 1}`, 'garbage', { PX: 120_000 })
    await expect(session.rateLimit('api:garbled', 10, w)).rejects.toThrow(
      'rateLimit: GET of the previous bucket answered a 7-character string, not a whole number',
    )
    await direct.del(`${prefix}:ratelimit:${w}s:{api:garbled}:${bucket - 1}`)
    expect(await session.rateLimit('api:garbled', 10, w)).toMatchObject({ allowed: true })
  })
})

describe('rateLimit input validation (clear error, no Redis call)', () => {
  it.each([
    [['', 10, 60], 'identifier: must not be empty (got an empty string)'],
    [
      ['x'.repeat(513), 10, 60],
      'identifier: must be at most 512 characters (hash a longer one) (got a 513-character string)',
    ],
    [[undefined, 10, 60], 'identifier: must be a string such as `api:${userId}` (got undefined)'],
    [['id', 0, 60], 'limit: must be at least 1 request (got 0)'],
    [['id', 2.5, 60], 'limit: must be a whole number of requests (got 2.5)'],
    [['id', '100', 60], 'limit: must be a number of requests (got a 3-character string)'],
    [['id', Number.NaN, 60], 'limit: must be a number of requests (got NaN)'],
    [['id', 10, 0], 'windowSeconds: must be a whole number of seconds from 1 to 31622400 (got 0)'],
    [['id', 10, 0.5], 'windowSeconds: must be a whole number of seconds from 1 to 31622400 (got 0.5)'],
    [
      ['id', 10, 900_000_000],
      'windowSeconds: must be a whole number of seconds from 1 to 31622400 (366 days): it is in seconds, not ms (got 900000000)',
    ],
  ])('rejects %j, naming the argument and what it must be', async (args, message) => {
    const [identifier, limit, windowSeconds] = args as [string, number, number]
    const err = await session.rateLimit(identifier, limit, windowSeconds).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RedisInputError)
    expect((err as Error).message).toBe(`rateLimit: ${message}`)
  })

  it('accepts any characters in an identifier (keys are binary-safe): spaces, tabs, unicode, braces', async () => {
    const w = windowAwayFromBoundary()
    for (const id of ['ip:2001:db8::1', 'user name', 'tab\there', 'cabinet:é✓', 'a}b{c']) {
      expect(await session.rateLimit(id, 2, w)).toMatchObject({ allowed: true, remaining: 1 })
      expect(await session.rateLimit(id, 2, w)).toMatchObject({ allowed: true, remaining: 0 })
      expect((await session.rateLimit(id, 2, w)).allowed).toBe(false)
    }
  })

  it('rejects an unknown failure policy', async () => {
    await expect(session.rateLimit('id', 1, 60, { onFailure: 'maybe' as 'open' })).rejects.toThrow(
      /^rateLimit: options\.onFailure: must be 'open' or 'closed' \(got a 5-character string\)$/,
    )
  })
})
