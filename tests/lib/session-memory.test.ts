import { describe, expect, it } from 'vitest'
import { createContext, createSession, RedisInputError } from '@/lib/upstash'
import { createMemoryStore, memoryStoreFor, TtlLru } from '@/lib/redis/memory-store'

/** REDIS_ENABLED=false: no URL, no token, no network; sessions live in this process. */
const disabledCtx = () => createContext({ REDIS_ENABLED: 'false', REDIS_KEY_PREFIX: 'mem' })

/** A clock the test moves by hand, so expiry is checked without sleeping. */
function manualClock(start = 1_800_000_000_000) {
  let now = start
  return { now: () => now, advance: (ms: number) => void (now += ms) }
}

describe('session with REDIS_ENABLED=false', () => {
  it('runs the seed calls verbatim, in process, with the 1 h default TTL', async () => {
    const ctx = disabledCtx()
    expect(ctx.redis).toBeNull()
    const session = createSession(ctx)
    await session.set('user-abc', { userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' })
    expect(await session.get('user-abc')).toEqual({ userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' })
    const ttl = memoryStoreFor(ctx).sessions.ttlMs('mem:session:user-abc')!
    expect(ttl).toBeGreaterThan(3_590_000)
    expect(ttl).toBeLessThanOrEqual(3_600_000)
    expect(await session.delete('user-abc')).toBe(true)
    expect(await session.get('user-abc')).toBeNull()
    expect(await session.delete('user-abc')).toBe(false)
  })

  it('stores a copy: mutating the object after set does not change the session', async () => {
    const session = createSession(disabledCtx())
    const data = { userId: 'u', tenantId: 't', role: 'USER', tags: ['a'] }
    await session.set('copy', data)
    data.tags.push('b')
    data.role = 'ADMIN'
    expect(await session.get('copy')).toEqual({ userId: 'u', tenantId: 't', role: 'USER', tags: ['a'] })
  })

  it('expires, touches, slides and creates like the Redis path (manual clock)', async () => {
    const clock = manualClock()
    const memory = createMemoryStore({ now: clock.now })
    const session = createSession(disabledCtx(), { memory })
    const data = { userId: 'u', tenantId: 't', role: 'USER' }

    await session.set('s', data, 60)
    clock.advance(59_999)
    expect(await session.get('s')).toEqual(data)
    clock.advance(1)
    expect(await session.get('s')).toBeNull()

    await session.set('t', data, 60)
    clock.advance(50_000)
    expect(await session.touch('t', 600)).toBe(true)
    expect(memory.sessions.ttlMs('mem:session:t')).toBe(600_000)
    expect(await session.touch('absent')).toBe(false)

    expect(await session.get('t', { slide: true })).toEqual(data)
    expect(memory.sessions.ttlMs('mem:session:t')).toBe(3_600_000)
    await session.get('t')
    expect(memory.sessions.ttlMs('mem:session:t')).toBe(3_600_000) // a plain get does not slide

    const id = await session.create(data, 120)
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(memory.sessions.ttlMs(`mem:session:${id}`)).toBe(120_000)
    clock.advance(120_000)
    expect(await session.get(id)).toBeNull()
  })

  it('validates input exactly as the Redis path does', async () => {
    const session = createSession(disabledCtx())
    await expect(session.set('bad id', { userId: 'u', tenantId: 't', role: 'R' })).rejects.toBeInstanceOf(RedisInputError)
    await expect(session.set('ok', { userId: 'u', tenantId: 't', role: 'R' }, 0)).rejects.toThrow(/ttlSeconds must be at least 1 second/)
    await expect(session.create({ userId: 'u' } as never)).rejects.toThrow(/data\.tenantId must be a string/)
  })

  it('each context has its own store; sessions on one are not visible on another', async () => {
    const a = createSession(disabledCtx())
    const b = createSession(disabledCtx())
    await a.set('mine', { userId: 'u', tenantId: 't', role: 'R' })
    expect(await b.get('mine')).toBeNull()
  })

  it('is bounded: beyond maxSessions the least recently used session is dropped', async () => {
    const memory = createMemoryStore({ maxSessions: 3 })
    const session = createSession(disabledCtx(), { memory })
    const data = { userId: 'u', tenantId: 't', role: 'R' }
    await session.set('a', data)
    await session.set('b', data)
    await session.set('c', data)
    await session.get('a') // a is now the most recently used; b the least
    await session.set('d', data)
    expect(memory.sessions.size).toBe(3)
    expect(await session.get('b')).toBeNull()
    expect(await session.get('a')).not.toBeNull()
    expect(await session.get('c')).not.toBeNull()
    expect(await session.get('d')).not.toBeNull()
  })
})

describe('TtlLru', () => {
  it('expires entries at their deadline and reports the remaining TTL', () => {
    const clock = manualClock()
    const lru = new TtlLru<string>(10, clock.now)
    lru.set('k', 'v', 1000)
    expect(lru.ttlMs('k')).toBe(1000)
    clock.advance(999)
    expect(lru.get('k')).toBe('v')
    clock.advance(1)
    expect(lru.get('k')).toBeUndefined()
    expect(lru.has('k')).toBe(false)
    expect(lru.size).toBe(0)
    expect(lru.expire('k', 1000)).toBe(false)
    expect(lru.delete('k')).toBe(false)
  })

  it('evicts least recently used first, expired entries being the oldest untouched', () => {
    const clock = manualClock()
    const lru = new TtlLru<number>(2, clock.now)
    lru.set('a', 1, 10)
    lru.set('b', 2, 1000)
    lru.get('a')
    lru.set('c', 3, 1000) // evicts b (least recently used)
    expect(lru.get('b')).toBeUndefined()
    expect([lru.get('a'), lru.get('c')]).toEqual([1, 3])
    lru.set('a', 4, 1000) // overwriting keeps the bound
    expect(lru.size).toBe(2)
  })

  it('refuses a non-positive bound', () => {
    expect(() => new TtlLru(0)).toThrow(/maxEntries must be a positive integer/)
  })
})
