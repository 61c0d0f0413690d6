import { describe, expect, it } from 'vitest'
import { createContext, createSession, memoryStore } from '@/redis'

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
    expect(ctx.store.kind).toBe('memory')
    const clock = manualClock()
    const session = createSession(ctx, { store: memoryStore({ now: clock.now }) })
    await session.set('user-abc', { userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' })
    expect(await session.get('user-abc')).toEqual({ userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' })
    clock.advance(3_599_999)
    expect(await session.get('user-abc')).not.toBeNull()
    clock.advance(2) // just past the hour
    expect(await session.get('user-abc')).toBeNull()
    await session.set('user-abc', { userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' })
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
    const session = createSession(disabledCtx(), { store: memoryStore({ now: clock.now }) })
    const data = { userId: 'u', tenantId: 't', role: 'USER' }

    await session.set('s', data, 60)
    clock.advance(59_999)
    expect(await session.get('s')).toEqual(data)
    clock.advance(2)
    expect(await session.get('s')).toBeNull()

    await session.set('t', data, 60)
    clock.advance(50_000)
    expect(await session.touch('t', 600)).toBe(true) // now lives until +600 s
    expect(await session.touch('absent')).toBe(false)
    clock.advance(599_000)
    expect(await session.get('t')).toEqual(data)

    expect(await session.get('t', { slide: true })).toEqual(data) // restarted: 3 600 s from now
    clock.advance(3_000_000)
    expect(await session.get('t')).toEqual(data) // a plain get does not slide…
    clock.advance(600_001)
    expect(await session.get('t')).toBeNull() // …so it ends 3 600 s after the sliding one

    const id = await session.create(data, 120)
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/)
    clock.advance(119_999)
    expect(await session.get(id)).toEqual(data)
    clock.advance(2)
    expect(await session.get(id)).toBeNull()
  })

  it('each context has its own store; sessions on one are not visible on another', async () => {
    const a = createSession(disabledCtx())
    const b = createSession(disabledCtx())
    await a.set('mine', { userId: 'u', tenantId: 't', role: 'R' })
    expect(await b.get('mine')).toBeNull()
  })

  it('is bounded: beyond maxSessions the least recently used session is dropped', async () => {
    const session = createSession(disabledCtx(), { store: memoryStore({ maxSessions: 3 }) })
    const data = { userId: 'u', tenantId: 't', role: 'R' }
    await session.set('a', data)
    await session.set('b', data)
    await session.set('c', data)
    await session.get('a') // a is now the most recently used; b the least
    await session.set('d', data)
    expect(await session.get('b')).toBeNull()
    expect(await session.get('a')).not.toBeNull()
    expect(await session.get('c')).not.toBeNull()
    expect(await session.get('d')).not.toBeNull()
  })
})
