import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { createContext, createSession, RedisInputError, type SessionData } from '@/redis'
import { directClient } from '../../testing/redis-direct'
import { uniquePrefix } from '../../testing/stack'

const env = inject('stack')
const prefix = uniquePrefix('session')
const ctx = createContext({ ...env, REDIS_KEY_PREFIX: prefix, UPSTASH_DISABLE_TELEMETRY: 'true' })
const session = createSession(ctx)
const keyOf = (id: string) => `${prefix}:session:${id}`
let direct: Awaited<ReturnType<typeof directClient>>

beforeAll(async () => {
  direct = await directClient(env.REDIS_URL)
})
afterAll(async () => {
  await direct.close()
})

/** Remaining lifetime in ms as Redis sees it. */
const pttl = (id: string) => direct.pTTL(keyOf(id))

describe('session (seed API)', () => {
  it('set / get / delete work verbatim, with a 1 h default expiry', async () => {
    await session.set('user-abc', { userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' })
    const ttl = await pttl('user-abc')
    expect(ttl).toBeGreaterThan(3_590_000)
    expect(ttl).toBeLessThanOrEqual(3_600_000)

    const sessionData = await session.get('user-abc')
    expect(sessionData).toEqual({ userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' })
    // Stored as JSON under <prefix>:session:<id>.
    expect(JSON.parse((await direct.get(keyOf('user-abc')))!)).toEqual(sessionData)

    expect(await session.delete('user-abc')).toBe(true)
    expect(await session.get('user-abc')).toBeNull()
    expect(await session.delete('user-abc')).toBe(false)
  })

  it('keeps extra fields and their JSON types; get<T> types them', async () => {
    interface AppSession extends SessionData {
      permissions: string[]
      impersonatedBy: string | null
      loginAt: number
    }
    const data: AppSession = {
      userId: 'u1',
      tenantId: 't1',
      role: 'AVOCAT',
      permissions: ['dossier:read'],
      impersonatedBy: null,
      loginAt: 1_700_000_000_000,
    }
    await session.set('extra', data, 60)
    const back = await session.get<AppSession>('extra')
    expect(back).toEqual(data)
    expect(back?.permissions[0]).toBe('dossier:read')
  })

  it('honours an explicit TTL (checked with PTTL)', async () => {
    await session.set('short', { userId: 'u', tenantId: 't', role: 'USER' }, 120)
    const ttl = await pttl('short')
    expect(ttl).toBeGreaterThan(115_000)
    expect(ttl).toBeLessThanOrEqual(120_000)
  })

  it('a session set with a 1 s TTL is gone once Redis expires it', async () => {
    await session.set('one-second', { userId: 'u', tenantId: 't', role: 'USER' }, 1)
    expect(await pttl('one-second')).toBeLessThanOrEqual(1000)
    // Wait until Redis reports the key gone (no fixed sleep), then the helper must agree.
    await vi.waitFor(async () => expect(await direct.exists(keyOf('one-second'))).toBe(0), {
      timeout: 5000,
      interval: 50,
    })
    expect(await session.get('one-second')).toBeNull()
  })
})

describe('session expiry control', () => {
  it('touch restarts the lifetime; false for a missing session', async () => {
    await session.set('touched', { userId: 'u', tenantId: 't', role: 'USER' }, 60)
    expect(await session.touch('touched', 600)).toBe(true)
    expect(await pttl('touched')).toBeGreaterThan(595_000)
    expect(await session.touch('touched')).toBe(true)
    expect(await pttl('touched')).toBeGreaterThan(3_595_000)
    expect(await session.touch('never-created')).toBe(false)
    expect(await direct.exists(keyOf('never-created'))).toBe(0)
  })

  it('get with slide restarts the lifetime in the same call; plain get does not', async () => {
    await session.set('sliding', { userId: 'u', tenantId: 't', role: 'USER' }, 60)
    expect(await session.get('sliding')).not.toBeNull()
    expect(await pttl('sliding')).toBeLessThanOrEqual(60_000)

    expect(await session.get('sliding', { slide: 300 })).toMatchObject({ userId: 'u' })
    expect(await pttl('sliding')).toBeGreaterThan(295_000)

    expect(await session.get('sliding', { slide: true })).toMatchObject({ userId: 'u' })
    expect(await pttl('sliding')).toBeGreaterThan(3_595_000)

    expect(await session.get('missing-slide', { slide: true })).toBeNull()
    expect(await direct.exists(keyOf('missing-slide'))).toBe(0)
  })

  it('createSession takes another default TTL', async () => {
    const short = createSession(ctx, { defaultTtlSeconds: 900 })
    await short.set('default-900', { userId: 'u', tenantId: 't', role: 'USER' })
    expect(await pttl('default-900')).toBeGreaterThan(895_000)
    expect(await pttl('default-900')).toBeLessThanOrEqual(900_000)
    expect(() => createSession(ctx, { defaultTtlSeconds: 0 })).toThrow(
      /^createSession: defaultTtlSeconds: must be a whole number of seconds from 1 to 31622400 \(got 0\)$/,
    )
  })
})

describe('session.create', () => {
  it('mints a 192-bit base64url id, stores the data under it with the TTL', async () => {
    const id = await session.create({ userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' }, 1800)
    expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(Buffer.from(id, 'base64url')).toHaveLength(24)
    expect(await session.get(id)).toEqual({ userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' })
    expect(await pttl(id)).toBeGreaterThan(1_795_000)
    expect(await pttl(id)).toBeLessThanOrEqual(1_800_000)
  })

  it('ids do not repeat and are not predictable from one another', async () => {
    const ids = await Promise.all(
      Array.from({ length: 200 }, () => session.create({ userId: 'u', tenantId: 't', role: 'USER' }, 60)),
    )
    expect(new Set(ids).size).toBe(200)
    // Every character position varies across ids (no counter or timestamp inside).
    for (let pos = 0; pos < 31; pos++) expect(new Set(ids.map((i) => i[pos])).size).toBeGreaterThan(10)
  })
})

describe('session input validation (clear error, nothing written)', () => {
  const data = { userId: 'u', tenantId: 't', role: 'USER' }
  const before = async () => (await direct.keys(`${prefix}:session:*`)).length

  it.each([
    ['', /^session\.set: id: must not be empty \(got an empty string\)/],
    ['has space', /^session\.set: id: may only contain letters, digits.* \(got a 9-character string\)$/],
    ['x'.repeat(257), /^session\.set: id: must be at most 256 characters \(got a 257-character string\)$/],
    [42, /^session\.set: id: must be a string \(got 42\)$/],
    [undefined, /^session\.set: id: must be a string \(got undefined\)$/],
  ])('rejects the id %j, naming the operation and the argument without echoing the id', async (id, message) => {
    const n = await before()
    await expect(session.set(id as string, data)).rejects.toThrow(message)
    await expect(session.set(id as string, data)).rejects.toBeInstanceOf(RedisInputError)
    expect(await before()).toBe(n)
  })

  it.each([
    [0, /ttlSeconds: must be a whole number of seconds from 1 to 31622400 \(got 0\)$/],
    [-5, /ttlSeconds: must be a whole number of seconds from 1 to 31622400 \(got -5\)$/],
    [1.5, /ttlSeconds: must be a whole number of seconds from 1 to 31622400 \(got 1\.5\)$/],
    [
      3_600_000_000,
      /ttlSeconds: must be a whole number of seconds from 1 to 31622400 \(366 days\): it is in seconds, not ms \(got 3600000000\)$/,
    ],
    [Number.NaN, /ttlSeconds: must be a whole number of seconds from 1 to 31622400 \(got NaN\)$/],
  ])('rejects the TTL %s, naming the operation and the argument', async (ttl, message) => {
    const n = await before()
    await expect(session.set('bad-ttl', data, ttl)).rejects.toThrow(new RegExp(`^session\\.set: ${message.source}`))
    await expect(session.create(data, ttl)).rejects.toThrow(new RegExp(`^session\\.create: ${message.source}`))
    await expect(session.touch('bad-ttl', ttl)).rejects.toThrow(new RegExp(`^session\\.touch: ${message.source}`))
    await expect(session.get('bad-ttl', { slide: ttl })).rejects.toThrow(
      new RegExp(`^session\\.get: ${message.source.replace('ttlSeconds', 'options\\.slide')}`),
    )
    expect(await before()).toBe(n)
  })

  it('rejects data that misses a required field, is not JSON-safe or too large', async () => {
    const n = await before()
    await expect(session.set('bad', { tenantId: 't', role: 'USER' } as never)).rejects.toThrow(
      /^session\.set: data\.userId: must be a string \(got undefined\)$/,
    )
    await expect(session.set('bad', { userId: '', tenantId: 't', role: 'USER' })).rejects.toThrow(
      /^session\.set: data\.userId: must not be empty \(got an empty string\)$/,
    )
    await expect(session.set('bad', null as never)).rejects.toThrow(
      /^session\.set: data: must be an object with userId, tenantId and role \(got null\)$/,
    )
    const circular: Record<string, unknown> = { ...data }
    circular.self = circular
    await expect(session.set('bad', circular as SessionData)).rejects.toThrow(/data\.self is a circular reference/)
    await expect(session.create({ ...data, big: 10n } as SessionData)).rejects.toThrow(/BigInt/)
    await expect(session.set('bad', { ...data, blob: 'x'.repeat(70_000) })).rejects.toThrow(
      /over the limit of 65536 bytes/,
    )
    expect(await before()).toBe(n)
  })

  it('treats unreadable or outdated stored data as no session', async () => {
    await direct.set(keyOf('corrupt'), '{not json')
    expect(await session.get('corrupt')).toBeNull()
    await direct.set(keyOf('outdated'), JSON.stringify({ userId: 'u' }))
    expect(await session.get('outdated')).toBeNull()
  })
})
