import { describe, expect, inject, it } from 'vitest'
import { createContext, RedisDisabledError, RedisInputError, RedisUnavailableError, createHashMap } from '@/redis'
import { directClient } from '../../testing/redis-direct'
import { uniquePrefix } from '../../testing/stack'
import { onPrivateStack, stackContext } from '../support/redis'

const shared = inject('stack')
const prefix = uniquePrefix('hash')
const hashMap = createHashMap(createContext({ ...shared, REDIS_KEY_PREFIX: prefix, UPSTASH_DISABLE_TELEMETRY: 'true' }))

interface Tenant {
  name: string
  plan: string
  activeDossiers: number
}

describe('hashMap: the seed API', () => {
  it('set, get and getAll as written in the guide, types preserved', async () => {
    await hashMap.set('tenant:xyz', { name: 'Cabinet Dupont', plan: 'PREMIUM', activeDossiers: 42 })
    const plan = await hashMap.get('tenant:xyz', 'plan')
    expect(plan).toBe('PREMIUM')
    expect(await hashMap.get<number>('tenant:xyz', 'activeDossiers')).toBe(42)
    const tenant = await hashMap.getAll<Tenant>('tenant:xyz')
    expect(tenant).toStrictEqual({ name: 'Cabinet Dupont', plan: 'PREMIUM', activeDossiers: 42 })
  })

  it('round-trips every JSON type per field; numeric-looking strings stay strings', async () => {
    const value = {
      n: 42,
      f: 0.5,
      neg: -3,
      s: '42',
      empty: '',
      t: true,
      nul: null,
      list: [1, 'a'],
      nested: { a: { b: [] } },
      text: 'réglé ✓',
    }
    expect(await hashMap.set('types', value)).toBe(10)
    expect(await hashMap.getAll('types')).toStrictEqual(value)
    expect(await hashMap.get('types', 's')).toBe('42')
    expect(await hashMap.get('types', 'n')).toBe(42)
    expect(await hashMap.get('types', 'nul')).toBeNull()
    expect(await hashMap.get('types', 'missing')).toBeNull()
  })

  it('set merges into the existing hash (other fields kept) and returns how many fields were new', async () => {
    await hashMap.set('merge', { a: 1, b: 2 })
    expect(await hashMap.set('merge', { b: 3, c: 4 })).toBe(1)
    expect(await hashMap.getAll('merge')).toStrictEqual({ a: 1, b: 3, c: 4 })
  })

  it('getAll is null when the hash does not exist; get is null too', async () => {
    expect(await hashMap.getAll('nothing-here')).toBeNull()
    expect(await hashMap.get('nothing-here', 'plan')).toBeNull()
  })

  it('del removes fields, or the whole hash when no field is given', async () => {
    await hashMap.set('del', { a: 1, b: 2, c: 3 })
    expect(await hashMap.del('del', 'a', 'zz')).toBe(1)
    expect(await hashMap.getAll('del')).toStrictEqual({ b: 2, c: 3 })
    expect(await hashMap.del('del')).toBe(1)
    expect(await hashMap.getAll('del')).toBeNull()
    expect(await hashMap.del('del')).toBe(0)
  })

  it('increment works on JSON-encoded numbers (plain digits) and keeps them JSON', async () => {
    await hashMap.set('counter', { activeDossiers: 42, ratio: 1.5, label: 'x' })
    expect(await hashMap.increment('counter', 'activeDossiers', 1)).toBe(43)
    expect(await hashMap.increment('counter', 'activeDossiers', -10)).toBe(33)
    expect(await hashMap.increment('counter', 'fresh')).toBe(1) // absent: starts at 0, by defaults to 1
    expect(await hashMap.increment('counter', 'ratio', 0.25)).toBe(1.75)
    // still readable as typed JSON afterwards
    expect(await hashMap.getAll('counter')).toStrictEqual({ activeDossiers: 33, ratio: 1.75, label: 'x', fresh: 1 })
    // the stored form is the plain digits HINCRBY wrote
    const direct = await directClient(shared.REDIS_URL)
    try {
      expect(await direct.sendCommand(['HGET', `${prefix}:hash:counter`, 'activeDossiers'])).toBe('33')
    } finally {
      await direct.close()
    }
  })

  it('increment on a non-number field fails with a clear error and changes nothing', async () => {
    await hashMap.set('bad-counter', { label: 'x', ratio: 1.5 })
    await expect(hashMap.increment('bad-counter', 'label', 1)).rejects.toThrow(
      /hashMap\.increment: field "label" of "bad-counter" cannot be incremented by 1/,
    )
    await expect(hashMap.increment('bad-counter', 'label', 1)).rejects.toBeInstanceOf(RedisInputError)
    await expect(hashMap.increment('bad-counter', 'ratio', 1)).rejects.toThrow(
      /a fractional field needs a fractional increment/,
    )
    // HINCRBYFLOAT's refusal ("hash value is not a float") is an input error too
    await expect(hashMap.increment('bad-counter', 'label', 0.5)).rejects.toBeInstanceOf(RedisInputError)
    await expect(hashMap.increment('bad-counter', 'label', 0.5)).rejects.toThrow(/cannot be incremented by 0\.5/)
    expect(await hashMap.getAll('bad-counter')).toStrictEqual({ label: 'x', ratio: 1.5 })
  })

  it('concurrent increments are all counted', async () => {
    await Promise.all(Array.from({ length: 100 }, () => hashMap.increment('race', 'n', 1)))
    expect(await hashMap.get('race', 'n')).toBe(100)
  })

  it('rejects what JSON cannot hold, naming the field, and writes nothing', async () => {
    const circular: Record<string, unknown> = {}
    circular.self = circular
    await expect(hashMap.set('invalid', { ok: 1, bad: circular })).rejects.toThrow(
      /hashMap\.set: object\.bad\.self is a circular reference/,
    )
    await expect(hashMap.set('invalid', { ok: 1, big: 10n })).rejects.toThrow(/object\.big is a BigInt/)
    await expect(hashMap.set('invalid', { ok: 1, fn: () => 1 })).rejects.toThrow(/object\.fn is a function/)
    await expect(hashMap.set('invalid', {})).rejects.toThrow(
      /^hashMap\.set: object: expected at least one defined field$/,
    )
    await expect(hashMap.set('invalid', [1, 2] as never)).rejects.toThrow(
      /^hashMap\.set: object: expected a plain object of fields \(got an array\)$/,
    )
    await expect(hashMap.set('invalid', 'text' as never)).rejects.toThrow(
      /^hashMap\.set: object: expected a plain object of fields \(got a 4-character string\)$/,
    )
    await expect(hashMap.set('', { a: 1 })).rejects.toThrow(
      /^hashMap\.set: key: must not be empty \(got an empty string\)$/,
    )
    await expect(hashMap.get('invalid', '')).rejects.toThrow(
      /^hashMap\.get: field: must not be empty \(got an empty string\)$/,
    )
    await expect(hashMap.increment('invalid', 'n', Number.POSITIVE_INFINITY)).rejects.toThrow(
      /^hashMap\.increment: by: expected a finite number \(got Infinity\)$/,
    )
    expect(await hashMap.getAll('invalid')).toBeNull()
  })

  it('undefined properties are skipped, as JSON would', async () => {
    await hashMap.set('undef', { a: 1, b: undefined })
    expect(await hashMap.getAll('undef')).toStrictEqual({ a: 1 })
  })
})

describe('hashMap on a private stack: cost and failure', () => {
  const own = onPrivateStack((env) =>
    createHashMap(stackContext(env, 'hcost', { REDIS_TIMEOUT_MS: '500', REDIS_RETRIES: '1' })),
  )

  it('every call costs at most 1 billed command', async () => {
    expect(
      await own.billed(() =>
        own.helper.set('tenant:xyz', { name: 'Cabinet Dupont', plan: 'PREMIUM', activeDossiers: 42 }),
      ),
    ).toBeLessThanOrEqual(1)
    expect(await own.billed(() => own.helper.get('tenant:xyz', 'plan'))).toBeLessThanOrEqual(1)
    expect(await own.billed(() => own.helper.getAll('tenant:xyz'))).toBeLessThanOrEqual(1)
    expect(await own.billed(() => own.helper.increment('tenant:xyz', 'activeDossiers', 1))).toBeLessThanOrEqual(1)
    expect(await own.billed(() => own.helper.increment('tenant:xyz', 'score', 0.5))).toBeLessThanOrEqual(1)
    expect(await own.billed(() => own.helper.del('tenant:xyz', 'plan'))).toBeLessThanOrEqual(1)
    expect(await own.billed(() => own.helper.del('tenant:xyz'))).toBeLessThanOrEqual(1)
  })

  it('Redis unreachable: throws RedisUnavailableError within the bound (data, not cache)', async () => {
    await own.stack.endpoint.close()
    const started = performance.now()
    await expect(own.helper.getAll('tenant:xyz')).rejects.toBeInstanceOf(RedisUnavailableError)
    await expect(own.helper.set('tenant:xyz', { a: 1 })).rejects.toThrow(/Redis is unavailable \(hashMap\.set\)/)
    await expect(own.helper.get('tenant:xyz', 'a')).rejects.toBeInstanceOf(RedisUnavailableError)
    expect(performance.now() - started).toBeLessThan(3_000)
  })

  it('REDIS_ENABLED=false: throws RedisDisabledError', async () => {
    const off = createHashMap(createContext({ REDIS_ENABLED: 'false' }))
    await expect(off.getAll('tenant:xyz')).rejects.toBeInstanceOf(RedisDisabledError)
    await expect(off.set('tenant:xyz', { a: 1 })).rejects.toThrow(/hashMap\.set needs Redis, but REDIS_ENABLED=false/)
  })
})
