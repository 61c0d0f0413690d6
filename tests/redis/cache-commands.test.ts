import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createCache, createContext, type Cache } from '@/redis'
import { billedCommands } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

/**
 * What each cache call costs in billed Upstash commands (a script would count 1 + every command it
 * runs; the cache uses none), counted on a private redis-server.
 */
let stack: Stack
let cache: Cache

beforeAll(async () => {
  stack = await startStack()
  cache = createCache(
    createContext({ ...stack.env, REDIS_KEY_PREFIX: uniquePrefix('cachecmd'), UPSTASH_DISABLE_TELEMETRY: 'true' }),
  )
})
afterAll(async () => {
  await stack.stop()
})

const billed = (fn: () => Promise<unknown>) => billedCommands(stack.env.REDIS_URL, fn).then((r) => r.total)

describe('cache: billed Upstash commands per call', () => {
  it('get / set / del / exists: 1 each', async () => {
    expect(await billed(() => cache.set('user:123', { name: 'John', role: 'admin' }, 3600))).toBe(1)
    expect(await billed(() => cache.get('user:123'))).toBe(1)
    expect(await billed(() => cache.exists('user:123'))).toBe(1)
    expect(await billed(() => cache.del('user:123'))).toBe(1)
  })

  it('getOrSet: a hit costs 1, an uncontended miss 4; 50 concurrent misses in one process cost the same 4', async () => {
    expect(await billed(() => cache.getOrSet('k', () => 'v', { ttl: 60 }))).toBe(4)
    expect(await billed(() => cache.getOrSet('k', () => 'v', { ttl: 60 }))).toBe(1)
    expect(
      await billed(() =>
        Promise.all(Array.from({ length: 50 }, () => cache.getOrSet('k50', async () => 'v', { ttl: 60 }))),
      ),
    ).toBe(4)
  })

  it('namespaced: a hit costs 1 too; invalidation 1 whatever the number of keys', async () => {
    const ns = cache.namespace('dossiers:tenant-a')
    // The namespace's first miss also creates its generation (1 more).
    expect(await billed(() => ns.getOrSet('list', () => ['d1'], { ttl: 300 }))).toBe(5)
    expect(await billed(() => ns.getOrSet('list', () => ['d1'], { ttl: 300 }))).toBe(1)
    expect(await billed(() => ns.get('list'))).toBe(1)
    expect(await billed(() => ns.exists('list'))).toBe(1)
    for (let i = 0; i < 200; i++) await ns.set(`k${i}`, i, 300)
    expect(await billed(() => ns.invalidate())).toBe(1)
    expect(await ns.get('k7')).toBeNull()
    expect(await billed(() => ns.getOrSet('list', () => ['d2'], { ttl: 300 }))).toBe(4)
    // set reads the generation first.
    expect(await billed(() => ns.set('one', 1, 60))).toBe(2)
    expect(await billed(() => ns.del('one'))).toBe(1)
  })

  it('100 concurrent misses over 4 instances: 1 loader call, at most 31 billed commands', async () => {
    const env = { ...stack.env, REDIS_KEY_PREFIX: uniquePrefix('stampede'), UPSTASH_DISABLE_TELEMETRY: 'true' }
    const instances = Array.from({ length: 4 }, () => createCache(createContext(env)).namespace('dossiers:t'))
    let loads = 0
    const loader = async () => {
      loads++
      await new Promise((r) => setTimeout(r, 50)) // a database query's latency, so the others really wait
      return ['d1']
    }
    const total = await billed(() =>
      Promise.all(Array.from({ length: 100 }, (_, i) => instances[i % 4]!.getOrSet('list', loader, { ttl: 60 }))),
    )
    expect(loads).toBe(1)
    expect(total).toBeLessThanOrEqual(31)
  })
})
