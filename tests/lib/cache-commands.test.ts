import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, createContext, type Cache } from '@/lib/upstash'
import { countCommands } from '../support/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../support/stack'

/**
 * What each cache call costs in Redis commands (what Upstash bills), from INFO commandstats on a
 * private stack. commandstats also counts the commands a Lua script runs inside, so each expectation
 * lists them: the billed count is the top-level commands (GET/SET/DEL/EXISTS, or EVALSHA for a script).
 */
let stack: Stack
let cache: Cache

beforeAll(async () => {
  stack = await startStack()
  cache = createCache(createContext({ ...stack.env, REDIS_KEY_PREFIX: uniquePrefix('cachecmd'), UPSTASH_DISABLE_TELEMETRY: 'true' }))
})
afterAll(async () => {
  await stack.stop()
})

const count = (fn: () => Promise<unknown>) => countCommands(stack.env.REDIS_URL, fn).then((r) => r.byCommand)

describe('cache: Upstash commands per call', () => {
  it('the first use of a script in a process costs one extra command (EVALSHA → NOSCRIPT → EVAL), then 1', async () => {
    const ns = cache.namespace('cold')
    expect(await count(() => ns.get('k'))).toEqual({ evalsha: 1, eval: 1, get: 1 })
    expect(await count(() => ns.get('k'))).toEqual({ evalsha: 1, get: 1 })
  })

  it('get / set / del / exists: 1 command each', async () => {
    expect(await count(() => cache.set('user:123', { name: 'John', role: 'admin' }, 3600))).toEqual({ set: 1 })
    expect(await count(() => cache.get('user:123'))).toEqual({ get: 1 })
    expect(await count(() => cache.exists('user:123'))).toEqual({ exists: 1 })
    expect(await count(() => cache.del('user:123'))).toEqual({ del: 1 })
  })

  it('getOrSet: 1 command on a hit, 2 on a miss (50 concurrent misses: still 2)', async () => {
    await cache.getOrSet('warm', () => 0, { ttl: 60 }) // loads both scripts
    // Miss: EVALSHA read-or-lock (GET value + SET NX lock), then EVALSHA write (GET+DEL lock, SET value).
    expect(await count(() => cache.getOrSet('k', () => 'v', { ttl: 60 }))).toEqual({ evalsha: 2, get: 2, set: 2, del: 1 })
    expect(await count(() => cache.getOrSet('k', () => 'v', { ttl: 60 }))).toEqual({ evalsha: 1, get: 1 })
    const stampede = await count(() => Promise.all(Array.from({ length: 50 }, () => cache.getOrSet('k50', async () => 'v', { ttl: 60 }))))
    expect(stampede).toEqual({ evalsha: 2, get: 2, set: 2, del: 1 })
  })

  it('namespace get / set / exists / del / invalidate: 1 command each (generation read inside the script)', async () => {
    const ns = cache.namespace('dossiers:tenant-a')
    await ns.set('warm', 1, 60)
    await ns.exists('warm')
    await ns.invalidate()
    // set: EVALSHA (GET generation, SET value, TTL of the generation, EXPIRE since this entry outlives it).
    expect(await count(() => ns.set('list', [1, 2], 300))).toEqual({ evalsha: 1, get: 1, set: 1, ttl: 1, expire: 1 })
    // …and no EXPIRE when the generation already outlives the entry.
    expect(await count(() => ns.set('list', [1, 2], 60))).toEqual({ evalsha: 1, get: 1, set: 1, ttl: 1 })
    // get: EVALSHA (GET generation, GET value).
    expect(await count(() => ns.get('list'))).toEqual({ evalsha: 1, get: 2 })
    expect(await count(() => ns.exists('list'))).toEqual({ evalsha: 1, get: 2 })
    expect(await count(() => ns.del('list'))).toEqual({ del: 1 })
    // invalidate: EVALSHA (EXISTS + INCR generation): O(1), whatever the number of keys.
    for (let i = 0; i < 200; i++) await ns.set(`k${i}`, i, 300)
    expect(await count(() => ns.invalidate())).toEqual({ evalsha: 1, exists: 1, incr: 1 })
    expect(await ns.get('k7')).toBeNull()
  })

  it('namespace getOrSet: 1 command on a hit, 2 on a miss', async () => {
    const ns = cache.namespace('dossiers:tenant-b')
    // A namespace never written: the write script also creates its generation counter (one more SET, one GET less)
    // and makes it outlive the entry (TTL + EXPIRE).
    expect(await count(() => ns.getOrSet('list', () => ['d1'], { ttl: 300 }))).toEqual({ evalsha: 2, get: 3, set: 3, del: 1, ttl: 1, expire: 1 })
    expect(await count(() => ns.getOrSet('list', () => ['d1'], { ttl: 300 }))).toEqual({ evalsha: 1, get: 2 })
    await ns.invalidate()
    // (ttl 60: shorter than the generation's remaining ~300 s, so no EXPIRE whatever the clock's second.)
    expect(await count(() => ns.getOrSet('list', () => ['d2'], { ttl: 60 }))).toEqual({ evalsha: 2, get: 4, set: 2, del: 1, ttl: 1 })
  })
})
