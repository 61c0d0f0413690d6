import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest'
import { createCache, createContext, RedisInputError, type Cache, type RedisContext } from '@/redis'
import { directClient } from '../../testing/redis-direct'
import { uniquePrefix } from '../../testing/stack'

const stack = inject('stack')
const prefix = uniquePrefix('cache')
// A generous timeout: these tests check the cache's protocol, not outages (a busy 2-core machine can exceed the 1 s default).
const env = { ...stack, REDIS_KEY_PREFIX: prefix, UPSTASH_DISABLE_TELEMETRY: 'true', REDIS_TIMEOUT_MS: '10000' }
const ctx = createContext(env)
const cache = createCache(ctx)
let direct: Awaited<ReturnType<typeof directClient>>

beforeAll(async () => {
  direct = await directClient(stack.REDIS_URL)
})
afterAll(async () => {
  await direct.close()
})

/** A promise with its resolve/reject, for loaders that finish when the test says so (no sleeps). */
function deferred<T = void>() {
  let resolve!: (v: T) => void
  let reject!: (e: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

const valueKey = (c: RedisContext, key: string) => c.keys.slotKeys('cache', key, ['v'])[0]
const lockKey = (c: RedisContext, key: string) => c.keys.slotKeys('cache', key, ['lock'])[0]

interface User {
  name: string
  role: string
}

describe('cache: the seed API', () => {
  it('set/get/del/exists work verbatim, with the TTL given', async () => {
    await cache.set('user:123', { name: 'John', role: 'admin' }, 3600)
    const user = await cache.get<User>('user:123')
    expect(user).toEqual({ name: 'John', role: 'admin' })
    expect(await cache.exists('user:123')).toBe(true)
    const pttl = await direct.pTTL(valueKey(ctx, 'user:123'))
    expect(pttl).toBeGreaterThan(3_590_000)
    expect(pttl).toBeLessThanOrEqual(3_600_000)

    await cache.del('user:123')
    expect(await cache.exists('user:123')).toBe(false)
    expect(await cache.get<User>('user:123')).toBeNull()
  })

  it('keeps every JSON type as it was', async () => {
    const values: Record<string, unknown> = {
      'str-digits': '123',
      'str-empty': '',
      'str-json': '{"a":1}',
      num: 123,
      float: -1.5,
      zero: 0,
      yes: true,
      no: false,
      arr: [1, 'two', null, { three: [3] }],
      nested: { a: { b: { c: [true, 'é ✓ 日本'] } }, n: null },
    }
    for (const [k, v] of Object.entries(values)) await cache.set(k, v, 60)
    for (const [k, v] of Object.entries(values)) expect(await cache.get(k)).toStrictEqual(v)
    expect(typeof (await cache.get('str-digits'))).toBe('string')
  })

  it('stores null as a value (exists is true, get gives null)', async () => {
    await cache.set('nothing', null, 60)
    expect(await cache.exists('nothing')).toBe(true)
    expect(await cache.get('nothing')).toBeNull()
  })

  it('defaults to a one-hour TTL when set is given none', async () => {
    expect(await cache.set('no-ttl', 'x')).toBe(true)
    const pttl = await direct.pTTL(valueKey(ctx, 'no-ttl'))
    expect(pttl).toBeGreaterThan(3_590_000)
    expect(pttl).toBeLessThanOrEqual(3_600_000)
  })

  it('a 1-second TTL is applied as such (PTTL)', async () => {
    await cache.set('short', 'soon gone', 1)
    const pttl = await direct.pTTL(valueKey(ctx, 'short'))
    expect(pttl).toBeGreaterThan(0)
    expect(pttl).toBeLessThanOrEqual(1000)
  })
})

describe('cache: bad input throws and writes nothing', () => {
  it.each([
    ['zero', 0, '(got 0)'],
    ['negative', -5, '(got -5)'],
    ['fractional', 1.5, '(got 1.5)'],
    ['a string', '60', '(got a 2-character string)'],
    ['NaN', Number.NaN, '(got NaN)'],
    ['over a year (ms passed as s?)', 3_600_000_000, '(366 days): it is in seconds, not ms (got 3600000000)'],
  ])('rejects a TTL that is %s, naming the operation, the argument and the limits', async (_label, ttl, got) => {
    await expect(cache.set('bad-ttl', 'v', ttl as number)).rejects.toThrow(RedisInputError)
    await expect(cache.set('bad-ttl', 'v', ttl as number)).rejects.toThrow(
      `cache.set: ttlSeconds: must be a whole number of seconds from 1 to 31622400 ${got}`,
    )
    expect(await direct.exists(valueKey(ctx, 'bad-ttl'))).toBe(0)
  })

  it('rejects values JSON cannot hold, naming the problem', async () => {
    const circular: Record<string, unknown> = { a: 1 }
    circular.self = circular
    await expect(cache.set('bad-value', circular, 60)).rejects.toThrow(/circular/)
    await expect(cache.set('bad-value', { n: 10n }, 60)).rejects.toThrow(/BigInt/)
    await expect(cache.set('bad-value', { f: () => 1 }, 60)).rejects.toThrow(/function/)
    await expect(cache.set('bad-value', undefined, 60)).rejects.toThrow(RedisInputError)
    expect(await direct.exists(valueKey(ctx, 'bad-value'))).toBe(0)
  })

  it('rejects an empty key, a bad namespace and a bad TTL, naming the operation and the argument', async () => {
    await expect(cache.get('')).rejects.toThrow(/^cache\.get: key: must not be empty \(got an empty string\)$/)
    await expect(cache.namespace('t').del('')).rejects.toThrow(/^cache\.del: key: must not be empty/)
    expect(() => cache.namespace('a{b}')).toThrow(
      /^cache\.namespace: name: must be 1-200 characters without "\{" or "\}" \(got a 4-character string\)$/,
    )
    await expect(cache.getOrSet('k', () => 1, { ttl: 0 })).rejects.toThrow(
      /^cache\.getOrSet: options\.ttl: must be a whole number of seconds from 1 to 31622400 \(got 0\)$/,
    )
    await expect(cache.fetch('k', () => 1, { ttl: 10, staleWhileRevalidate: -1 })).rejects.toThrow(
      /^cache\.fetch: options\.staleWhileRevalidate: must be a whole number of seconds from 0 to 31622400 \(got -1\)$/,
    )
    expect(() => createCache(ctx, { defaultTtlSeconds: 0 })).toThrow(
      /^createCache: defaultTtlSeconds: must be a whole number of seconds from 1 to 31622400 \(got 0\)$/,
    )
    expect(() => createCache(ctx, { lockTtlMs: 0 })).toThrow(/^createCache: lockTtlMs: must be positive \(got 0\)$/)
    await expect(cache.getOrSet('k', 'value' as never, { ttl: 60 })).rejects.toThrow(
      /^cache\.getOrSet: loader: expected a function that loads the value \(the second argument\) \(got a 5-character string\)$/,
    )
    await expect(cache.getOrSet('k', () => 1, undefined as never)).rejects.toThrow(
      /^cache\.getOrSet: options: expected options \{ ttl \} \(seconds\), the third argument \(got undefined\)$/,
    )
  })

  it('set rejects a value over maxValueBytes; getOrSet returns it uncached', async () => {
    const errors: string[] = []
    const small = createCache(ctx, { maxValueBytes: 100, onError: (e) => errors.push(String(e)) })
    const big = 'x'.repeat(200)
    await expect(small.set('big', big, 60)).rejects.toThrow(/over the limit of 100 bytes/)
    expect(await small.getOrSet('big', () => big, { ttl: 60 })).toBe(big)
    expect(errors.join()).toMatch(/maxValueBytes/)
    expect(await direct.exists(valueKey(ctx, 'big'))).toBe(0)
    expect(await direct.exists(lockKey(ctx, 'big'))).toBe(0)
  })

  it('a loader returning something JSON cannot hold throws and caches nothing', async () => {
    await expect(cache.getOrSet('bad-loader', () => ({ n: 1n }), { ttl: 60 })).rejects.toThrow(/BigInt/)
    expect(await direct.exists(valueKey(ctx, 'bad-loader'))).toBe(0)
    expect(await direct.exists(lockKey(ctx, 'bad-loader'))).toBe(0)
  })
})

describe('cache.getOrSet', () => {
  it('50 concurrent misses call the loader once and all get its value', async () => {
    const c = createCache(ctx)
    let calls = 0
    const gate = deferred()
    const loader = async () => {
      calls++
      await gate.promise
      return { rows: [1, 2, 3] }
    }
    const all = Promise.all(Array.from({ length: 50 }, () => c.getOrSet('stampede', loader, { ttl: 120 })))
    await vi.waitFor(() => expect(calls).toBe(1))
    gate.resolve()
    const results = await all
    expect(calls).toBe(1)
    expect(results).toHaveLength(50)
    for (const r of results) expect(r).toEqual({ rows: [1, 2, 3] })
    // Cached with the TTL asked, lock released.
    const pttl = await direct.pTTL(valueKey(ctx, 'stampede'))
    expect(pttl).toBeGreaterThan(110_000)
    expect(pttl).toBeLessThanOrEqual(120_000)
    expect(await direct.exists(lockKey(ctx, 'stampede'))).toBe(0)
    // Next call is a hit.
    expect(await c.getOrSet('stampede', loader, { ttl: 120 })).toEqual({ rows: [1, 2, 3] })
    expect(calls).toBe(1)
    expect(c.stats()).toMatchObject({ misses: 1, hits: 1, loads: 1, lockWaits: 0 })
  })

  it('caches a null result (a known absence is a hit too)', async () => {
    let calls = 0
    const loader = () => {
      calls++
      return null
    }
    expect(await cache.getOrSet('absent', loader, { ttl: 60 })).toBeNull()
    expect(await cache.getOrSet('absent', loader, { ttl: 60 })).toBeNull()
    expect(calls).toBe(1)
  })

  it('a loader error reaches every concurrent caller and is not cached', async () => {
    let calls = 0
    const gate = deferred()
    const failing = async () => {
      calls++
      await gate.promise
      throw new Error('database exploded')
    }
    const all = Array.from({ length: 10 }, () => cache.getOrSet('fails', failing, { ttl: 60 }))
    await vi.waitFor(() => expect(calls).toBe(1))
    gate.resolve()
    const settled = await Promise.allSettled(all)
    expect(settled.every((s) => s.status === 'rejected' && /database exploded/.test(String(s.reason)))).toBe(true)
    expect(await direct.exists(valueKey(ctx, 'fails'))).toBe(0)
    expect(await direct.exists(lockKey(ctx, 'fails'))).toBe(0) // released at once, not left to expire
    expect(await cache.getOrSet('fails', () => 'recovered', { ttl: 60 })).toBe('recovered')
  })

  it('across two instances (separate in-process maps), concurrent misses call the loader once in total', async () => {
    // Two contexts = two @upstash/redis clients, as two server instances would have.
    const a = createCache(createContext(env))
    const b = createCache(createContext(env))
    let calls = 0
    const gate = deferred()
    const loader = async () => {
      calls++
      await gate.promise
      return 'shared'
    }
    const all = Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).getOrSet('cross', loader, { ttl: 60 })),
    )
    // The instance without the lock has seen it and is polling: only then let the loader finish.
    await vi.waitFor(() => expect(calls === 1 && a.stats().lockWaits + b.stats().lockWaits === 1).toBe(true))
    gate.resolve()
    const results = await all
    expect(calls).toBe(1)
    expect(new Set(results)).toEqual(new Set(['shared']))
    expect(a.stats().lockTimeouts + b.stats().lockTimeouts).toBe(0)
  })

  it('when the lock holder dies, the others wait a bounded time and then load themselves', async () => {
    const c = createCache(createContext(env), { lockWaitMs: 300 })
    // A lock left by an instance that crashed mid-load (still 10 s to live).
    await direct.set(lockKey(ctx, 'orphan'), 'dead-instance', { PX: 10_000 })
    let calls = 0
    const started = performance.now()
    const v = await c.getOrSet('orphan', () => ++calls, { ttl: 60 })
    const elapsed = performance.now() - started
    expect(v).toBe(1)
    expect(calls).toBe(1)
    expect(elapsed).toBeGreaterThanOrEqual(290)
    expect(elapsed).toBeLessThan(2000)
    expect(c.stats()).toMatchObject({ lockWaits: 1, lockTimeouts: 1 })
    expect(await c.get('orphan')).toBe(1) // its value was stored for everyone else
  })

  it('when the lock holder’s loader fails, a waiting instance takes over at once', async () => {
    const a = createCache(createContext(env))
    const b = createCache(createContext(env), { lockWaitMs: 10_000 })
    const gate = deferred()
    const aResult = a.getOrSet(
      'takeover',
      async () => {
        await gate.promise
        throw new Error('A failed')
      },
      { ttl: 60 },
    )
    await vi.waitFor(async () => expect(await direct.exists(lockKey(ctx, 'takeover'))).toBe(1))
    const started = performance.now()
    const bResult = b.getOrSet('takeover', () => 'from B', { ttl: 60 })
    await vi.waitFor(() => expect(b.stats().lockWaits).toBe(1))
    gate.resolve()
    await expect(aResult).rejects.toThrow('A failed')
    expect(await bResult).toBe('from B')
    expect(performance.now() - started).toBeLessThan(5000) // far below B's 10 s wait: it took the released lock
    expect(b.stats().lockTimeouts).toBe(0)
  })
})

describe('cache.getOrSet with staleWhileRevalidate', () => {
  it('serves the stale value at once and refreshes it once in the background', async () => {
    let t = 1_700_000_000_000
    const c = createCache(ctx, { now: () => t })
    let version = 0
    let calls = 0
    const loader = () => {
      calls++
      return `v${++version}`
    }
    const opts = { ttl: 60, staleWhileRevalidate: 300 }
    expect(await c.getOrSet('swr', loader, opts)).toBe('v1')
    // Redis keeps it for ttl + stale window.
    const pttl = await direct.pTTL(valueKey(ctx, 'swr'))
    expect(pttl).toBeGreaterThan(350_000)
    expect(pttl).toBeLessThanOrEqual(360_000)

    t += 30_000 // still fresh
    expect(await c.getOrSet('swr', loader, opts)).toBe('v1')
    expect(calls).toBe(1)

    t += 31_000 // past ttl, inside the stale window
    const stale = await Promise.all(Array.from({ length: 20 }, () => c.getOrSet('swr', loader, opts)))
    expect(new Set(stale)).toEqual(new Set(['v1']))
    await c.whenIdle()
    expect(calls).toBe(2) // one refresh for 20 stale reads
    expect(await c.getOrSet('swr', loader, opts)).toBe('v2')
    expect(calls).toBe(2)
    expect(await direct.exists(lockKey(ctx, 'swr'))).toBe(0)
    expect(c.stats()).toMatchObject({ staleHits: 1, loads: 2 })
  })

  it('two instances seeing the same stale entry refresh it once', async () => {
    let t = 1_700_000_000_000
    const a = createCache(createContext(env), { now: () => t })
    const b = createCache(createContext(env), { now: () => t })
    let calls = 0
    const gate = deferred()
    const loader = async () => {
      calls++
      if (calls > 1) await gate.promise
      return `v${calls}`
    }
    const opts = { ttl: 10, staleWhileRevalidate: 100 }
    await a.getOrSet('swr-cross', loader, opts)
    t += 11_000
    const reads = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).getOrSet('swr-cross', loader, opts)),
    )
    expect(new Set(reads)).toEqual(new Set(['v1']))
    gate.resolve()
    await Promise.all([a.whenIdle(), b.whenIdle()])
    expect(calls).toBe(2)
    expect(await b.get('swr-cross')).toBe('v2')
  })

  it('a failed background refresh keeps the stale value and is reported', async () => {
    let t = 1_700_000_000_000
    const errors: string[] = []
    const c = createCache(ctx, { now: () => t, onError: (e, op) => errors.push(`${op}: ${String(e)}`) })
    const opts = { ttl: 10, staleWhileRevalidate: 100 }
    await c.getOrSet('swr-fail', () => 'old', opts)
    t += 20_000
    expect(await c.getOrSet('swr-fail', () => Promise.reject(new Error('source down')), opts)).toBe('old')
    await c.whenIdle()
    expect(errors.join()).toMatch(/background refresh.*source down/)
    expect(c.stats().refreshErrors).toBe(1)
    expect(await direct.exists(lockKey(ctx, 'swr-fail'))).toBe(0)
    // The next read refreshes again.
    expect(await c.getOrSet('swr-fail', () => 'new', opts)).toBe('old')
    await c.whenIdle()
    expect(await c.get('swr-fail')).toBe('new')
  })
})

describe('cache namespaces', () => {
  it('invalidate makes every key of the namespace a miss, and only that namespace', async () => {
    const t1 = cache.namespace('dossiers:t1')
    const t2 = cache.namespace('dossiers:t2')
    await t1.set('list', ['a', 'b'], 300)
    await t1.set('dossier:1', { id: 1 }, 300)
    await t2.set('list', ['z'], 300)
    await cache.set('list', 'plain key, not in any namespace', 300)
    expect(await t1.get('list')).toEqual(['a', 'b'])
    expect(await t1.exists('dossier:1')).toBe(true)

    expect(await t1.invalidate()).toBe(true)
    expect(await t1.get('list')).toBeNull()
    expect(await t1.get('dossier:1')).toBeNull()
    expect(await t1.exists('dossier:1')).toBe(false)
    expect(await t2.get('list')).toEqual(['z'])
    expect(await cache.get('list')).toBe('plain key, not in any namespace')

    await t1.set('list', ['c'], 300)
    expect(await t1.get('list')).toEqual(['c'])
  })

  it('getOrSet in a namespace: hit after miss, miss after invalidate', async () => {
    const ns = cache.namespace('ns-getorset')
    let calls = 0
    const loader = () => ++calls
    expect(await ns.getOrSet('k', loader, { ttl: 60 })).toBe(1)
    expect(await ns.getOrSet('k', loader, { ttl: 60 })).toBe(1)
    await ns.invalidate()
    expect(await ns.getOrSet('k', loader, { ttl: 60 })).toBe(2)
    expect(await ns.getOrSet('k', loader, { ttl: 60 })).toBe(2)
  })

  it('a value loaded while the namespace is invalidated is not stored (it may predate the change)', async () => {
    const ns = cache.namespace('ns-race')
    const gate = deferred()
    const loading = ns.getOrSet(
      'list',
      async () => {
        await gate.promise
        return 'read before the write'
      },
      { ttl: 60 },
    )
    await vi.waitFor(async () =>
      expect(await direct.exists(ctx.keys.slotKeys('cache-ns', 'ns-race', ['lock:list'])[0])).toBe(1),
    )
    await ns.invalidate() // a write happened meanwhile
    gate.resolve()
    expect(await loading).toBe('read before the write') // the caller still gets its answer…
    expect(await ns.get('list')).toBeNull() // …but it is not cached for the others
    expect(await ns.getOrSet('list', () => 'fresh', { ttl: 60 })).toBe('fresh')
  })

  it('survives its generation counter being evicted: old entries never come back', async () => {
    const ns = cache.namespace('ns-evicted')
    const [genKey] = ctx.keys.slotKeys('cache-ns', 'ns-evicted', ['gen'])
    await ns.set('k', 'old', 300)
    await direct.del(genKey)
    expect(await ns.get('k')).toBeNull()
    expect(await ns.exists('k')).toBe(false)
    await ns.invalidate()
    expect(await ns.get('k')).toBeNull()
    await ns.set('k', 'new', 300)
    expect(await ns.get('k')).toBe('new')
  })

  it('a generation created by a read expires with its entry (namespaces nobody writes do not pile up)', async () => {
    const ns = cache.namespace('ns-ttl')
    const [genKey] = ctx.keys.slotKeys('cache-ns', 'ns-ttl', ['gen'])
    await ns.getOrSet('short', () => 'a', { ttl: 60 })
    expect(await direct.ttl(genKey)).toBeGreaterThan(55)
    expect(await direct.ttl(genKey)).toBeLessThanOrEqual(60)
    // Once it is gone, an entry that outlived it is a miss, never served again.
    await ns.set('long', 'b', 3600)
    await direct.del(genKey)
    expect(await ns.get('long')).toBeNull()
    expect(await ns.getOrSet('long', () => 'reloaded', { ttl: 60 })).toBe('reloaded')
    // Invalidating a namespace never written creates a generation that expires too.
    const fresh = cache.namespace('ns-ttl-fresh')
    await fresh.invalidate()
    const [freshGen] = ctx.keys.slotKeys('cache-ns', 'ns-ttl-fresh', ['gen'])
    expect(await direct.ttl(freshGen)).toBeGreaterThan(0)
  })

  it('keeps a namespace’s keys in one hash slot (one MGET reads them, also on a cluster)', () => {
    const [gen, value, lock] = ctx.keys.slotKeys('cache-ns', 'dossiers:t1', ['gen', 'v:list', 'lock:list'])
    const tag = (k: string) => /\{([^}]*)\}/.exec(k)?.[1]
    expect(tag(gen)).toBe('dossiers:t1')
    expect(tag(value)).toBe('dossiers:t1')
    expect(tag(lock)).toBe('dossiers:t1')
    expect(value).toBe(`${prefix}:cache-ns:{dossiers:t1}:v:list`)
  })
})

describe('cache with REDIS_ENABLED=false', () => {
  const disabled: Cache = createCache(createContext({ REDIS_ENABLED: 'false' }))

  it('is bypassed: get null, set not stored, exists false, del/invalidate true', async () => {
    expect(await disabled.set('k', 'v', 60)).toBe(false)
    expect(await disabled.get('k')).toBeNull()
    expect(await disabled.exists('k')).toBe(false)
    expect(await disabled.del('k')).toBe(true)
    expect(await disabled.namespace('n').invalidate()).toBe(true)
  })

  it('getOrSet calls the loader each time (still once for concurrent calls)', async () => {
    let calls = 0
    const loader = async () => ++calls
    expect(await disabled.getOrSet('k', loader, { ttl: 60 })).toBe(1)
    expect(await disabled.getOrSet('k', loader, { ttl: 60 })).toBe(2)
    const gate = deferred()
    const slow = async () => {
      calls++
      await gate.promise
      return calls
    }
    const all = Promise.all(Array.from({ length: 10 }, () => disabled.getOrSet('k', slow, { ttl: 60 })))
    await vi.waitFor(() => expect(calls).toBe(3))
    gate.resolve()
    expect(new Set(await all)).toEqual(new Set([3]))
  })

  it('still rejects bad input (a caller bug is a bug in every mode)', async () => {
    await expect(disabled.set('k', 'v', -1)).rejects.toThrow(
      /^cache\.set: ttlSeconds: must be a whole number of seconds from 1 to 31622400 \(got -1\)$/,
    )
    await expect(disabled.set('k', { n: 1n })).rejects.toThrow(/BigInt/)
    await expect(disabled.getOrSet('k', () => ({ f: () => 0 }), { ttl: 1 })).rejects.toThrow(/function/)
  })
})
