/**
 * One contract, two stores: session and rateLimit run on Redis (through the local endpoint) or, with
 * REDIS_ENABLED=false, in this process's memory. Whatever a caller can observe must not depend on which:
 * the same answers, the same refusals, the same errors. Each case below runs on both; what only one store
 * has (Redis TTLs seen with PTTL, the memory store's bounds and manual clock) stays in its own file.
 */
import { describe, expect, inject, it } from 'vitest'
import { createContext, createRateLimit, createSession, RedisInputError, type RedisContext } from '@/redis'
import { uniquePrefix } from '../../testing/stack'
import { stackContext } from '../support/redis'

const env = inject('stack')

const stores: [string, () => RedisContext][] = [
  ['Redis', () => stackContext(env, 'contract')],
  ['memory', () => createContext({ REDIS_ENABLED: 'false', REDIS_KEY_PREFIX: uniquePrefix('contract') })],
]

describe.each(stores)('session on %s', (_name, newContext) => {
  it('runs the guide’s calls verbatim: set, get, delete', async () => {
    const session = createSession(newContext())
    expect(await session.get('user-abc')).toBeNull()
    await session.set('user-abc', { userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' })
    expect(await session.get('user-abc')).toEqual({ userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' })
    expect(await session.delete('user-abc')).toBe(true)
    expect(await session.get('user-abc')).toBeNull()
    expect(await session.delete('user-abc')).toBe(false)
  })

  it('keeps extra fields with their JSON types, and stores a copy', async () => {
    const session = createSession(newContext())
    const data = { userId: 'u', tenantId: 't', role: 'AVOCAT', name: 'Me Durand', seats: 3, tags: ['a'], ok: true }
    await session.set('s1', data)
    data.tags.push('changed after set')
    expect(await session.get('s1')).toEqual({ ...data, tags: ['a'] })
  })

  it('touch and a sliding get answer whether the session exists', async () => {
    const session = createSession(newContext())
    expect(await session.touch('nobody')).toBe(false)
    expect(await session.get('nobody', { slide: 600 })).toBeNull()
    await session.set('s2', { userId: 'u', tenantId: 't', role: 'ADMIN' }, 60)
    expect(await session.touch('s2', 600)).toBe(true)
    expect(await session.get('s2', { slide: 600 })).toMatchObject({ userId: 'u' })
  })

  it('create mints distinct ids; deleteAll logs an owner out everywhere and no one else', async () => {
    const session = createSession(newContext())
    const data = { userId: 'u1', tenantId: 't', role: 'AVOCAT' }
    const [a, b] = await Promise.all([
      session.create(data, 600, { owner: 'u1' }),
      session.create(data, 600, { owner: 'u1' }),
    ])
    const other = await session.create({ ...data, userId: 'u2' }, 600, { owner: 'u2' })
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(new Set([a, b, other]).size).toBe(3)
    expect(await session.deleteAll('u1')).toBe(2)
    expect([await session.get(a), await session.get(b)]).toEqual([null, null])
    expect(await session.get(other)).toMatchObject({ userId: 'u2' })
    expect(await session.deleteAll('u1')).toBe(0)
  })
})

describe.each(stores)('rateLimit on %s', (name, newContext) => {
  it('admits exactly `limit` of 3 × limit concurrent calls, and says how many remain', async () => {
    const rateLimit = createRateLimit(newContext())
    // A day-long window: the calls below all fall in one bucket.
    const results = await Promise.all(Array.from({ length: 60 }, () => rateLimit('contract:burst', 20, 86_400)))
    const allowed = results.filter((r) => r.allowed)
    expect(allowed).toHaveLength(20)
    expect(allowed.map((r) => r.remaining).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(results.filter((r) => !r.allowed).every((r) => r.remaining === 0)).toBe(true)
    expect(new Set(results.map((r) => r.limit))).toEqual(new Set([20]))
    expect(new Set(results.map((r) => r.reason))).toEqual(new Set([name === 'memory' ? 'disabled' : undefined]))
  })

  it('keeps identifiers and windows apart', async () => {
    const rateLimit = createRateLimit(newContext())
    expect((await rateLimit('contract:a', 1, 86_400)).allowed).toBe(true)
    expect((await rateLimit('contract:a', 1, 86_400)).allowed).toBe(false)
    expect((await rateLimit('contract:b', 1, 86_400)).allowed).toBe(true)
    expect((await rateLimit('contract:a', 1, 43_200)).allowed).toBe(true)
  })
})

/** The message of the RedisInputError `call` rejects with (anything else fails the test). */
async function inputError(call: () => Promise<unknown>): Promise<string> {
  const err = await call().then(
    () => null,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(RedisInputError)
  return (err as Error).message
}

describe('bad input, on either store', () => {
  it('session: the same RedisInputError, naming the argument, and nothing written', async () => {
    const seen = []
    for (const [, newContext] of stores) {
      const session = createSession(newContext())
      seen.push([
        await inputError(() => session.set('', { userId: 'u', tenantId: 't', role: 'ADMIN' })),
        await inputError(() => session.set('s3', { userId: 'u', tenantId: 't' } as never)),
        await inputError(() => session.set('s3', { userId: 'u', tenantId: 't', role: 'ADMIN' }, 0)),
        await inputError(() => session.set('s3', { userId: 'u', tenantId: 't', role: 'ADMIN', n: 1n } as never)),
      ])
      expect(await session.get('s3')).toBeNull()
    }
    expect(seen[1]).toEqual(seen[0])
    expect(seen[0]![0]).toMatch(/^session\.set: id/)
    expect(seen[0]![1]).toMatch(/role/)
    expect(seen[0]![2]).toBe('session.set: ttlSeconds: must be a whole number of seconds from 1 to 31622400 (got 0)')
  })

  it('rateLimit: the same RedisInputError, naming the argument', async () => {
    const seen = []
    for (const [, newContext] of stores) {
      const rateLimit = createRateLimit(newContext())
      seen.push([
        await inputError(() => rateLimit('', 10, 60)),
        await inputError(() => rateLimit('id', 0, 60)),
        await inputError(() => rateLimit('id', 10, 0)),
        await inputError(() => rateLimit('id', 1.5, 60)),
      ])
    }
    expect(seen[1]).toEqual(seen[0])
    expect(seen[0]![0]).toBe('rateLimit: identifier: must not be empty (got an empty string)')
    expect(seen[0]!.map((m) => /^rateLimit: (\w+)/.exec(m)?.[1])).toEqual([
      'identifier',
      'limit',
      'windowSeconds',
      'limit',
    ])
  })
})
