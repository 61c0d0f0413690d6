import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createCache,
  createContext,
  RedisInputError,
  RedisUnavailableError,
  type Cache,
  type RedisContext,
} from '@/redis'
import { directClient } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

/**
 * The cache's failure policy (docs/helpers.md), against a private stack that is really slowed down
 * (redis-server frozen with SIGSTOP) and really stopped (endpoint closed): the cache is a miss / no-op,
 * getOrSet falls back to the loader, nothing throws into the page, and every call is bounded.
 */
let stack: Stack
let endpointClosed = false
let ctx: RedisContext
let cache: Cache
const errors: Array<{ error: unknown; operation: string }> = []

beforeAll(async () => {
  stack = await startStack()
  ctx = createContext({
    ...stack.env,
    REDIS_KEY_PREFIX: uniquePrefix('cachefail'),
    UPSTASH_DISABLE_TELEMETRY: 'true',
    REDIS_TIMEOUT_MS: '300',
  })
  cache = createCache(ctx, { onError: (error, operation) => errors.push({ error, operation }) })
})
afterAll(async () => {
  stack.redis.process.kill('SIGCONT')
  if (endpointClosed) await stack.redis.stop()
  else await stack.stop()
})

/** Runs fn and returns its result with how long it took. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now()
  const value = await fn()
  return { value, ms: performance.now() - started }
}

describe('cache when Redis answers with an error', () => {
  it('treats it as a miss / no-op and reports it (Redis out of memory refuses writes)', async () => {
    const direct = await directClient(stack.env.REDIS_URL)
    try {
      await direct.configSet('maxmemory', '1')
      errors.length = 0
      expect(await cache.set('oom', 'x', 60)).toBe(false)
      expect(errors[0]?.operation).toBe('cache.set')
      expect(String(errors[0]?.error)).toMatch(/OOM/)
      expect(await cache.getOrSet('oom', () => 'from the loader', { ttl: 60 })).toBe('from the loader')
    } finally {
      await direct.configSet('maxmemory', '0')
      await direct.close()
    }
  })

  it('a key of another type under the cache prefix is a miss, and getOrSet replaces it', async () => {
    const direct = await directClient(stack.env.REDIS_URL)
    try {
      await direct.rPush(ctx.keys.slotKeys('cache', 'clobbered', ['v'])[0], 'x')
    } finally {
      await direct.close()
    }
    expect(await cache.get('clobbered')).toBeNull()
    expect(await cache.getOrSet('clobbered', () => 'value', { ttl: 60 })).toBe('value')
    expect(await cache.get('clobbered')).toBe('value')
  })
})

describe('cache when Redis is slower than REDIS_TIMEOUT_MS (redis-server frozen)', () => {
  it('every call is a bounded miss / no-op; getOrSet serves the loader; all recover when Redis is back', async () => {
    await cache.set('before', 'cached', 60)
    stack.redis.process.kill('SIGSTOP')
    try {
      errors.length = 0
      const get = await timed(() => cache.get('before'))
      expect(get.value).toBeNull()
      expect(get.ms).toBeLessThan(2000)
      expect(errors[0]?.error).toBeInstanceOf(RedisUnavailableError)

      const set = await timed(() => cache.set('during', 'x', 60))
      expect(set.value).toBe(false)
      expect(set.ms).toBeLessThan(2000)

      let calls = 0
      const viaLoader = await timed(() => cache.getOrSet('during', () => ++calls, { ttl: 60 }))
      expect(viaLoader.value).toBe(1)
      expect(calls).toBe(1)
      expect(viaLoader.ms).toBeLessThan(2000) // one failed read, then the loader; no write attempted
    } finally {
      stack.redis.process.kill('SIGCONT')
    }
    expect(await cache.get('before')).toBe('cached')
  })
})

describe('cache when the endpoint is stopped', () => {
  beforeAll(async () => {
    await cache.set('user:123', { name: 'John' }, 60)
    await cache.namespace('dossiers:t').set('list', [1], 60)
    await stack.endpoint.close()
    endpointClosed = true
    errors.length = 0
  })

  it('cache.get returns null within 2 s', async () => {
    const { value, ms } = await timed(() => cache.get('user:123'))
    expect(value).toBeNull()
    expect(ms).toBeLessThan(2000)
    expect(errors.at(-1)?.error).toBeInstanceOf(RedisUnavailableError)
  })

  it('set / del / exists / invalidate do not throw; they say the write did not happen', async () => {
    expect(await cache.set('user:123', { name: 'Jane' }, 60)).toBe(false)
    expect(await cache.del('user:123')).toBe(false)
    expect(await cache.exists('user:123')).toBe(false)
    const ns = cache.namespace('dossiers:t')
    expect(await ns.get('list')).toBeNull()
    expect(await ns.set('list', [2], 60)).toBe(false)
    expect(await ns.invalidate()).toBe(false)
  })

  it('getOrSet calls the loader directly (single-flight still applies); loader errors still propagate', async () => {
    let calls = 0
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        cache.getOrSet(
          'down',
          async () => {
            calls++
            return 'from the database'
          },
          { ttl: 60 },
        ),
      ),
    )
    expect(new Set(results)).toEqual(new Set(['from the database']))
    expect(calls).toBe(1)
    await expect(cache.getOrSet('down', () => Promise.reject(new Error('db down too')), { ttl: 60 })).rejects.toThrow(
      'db down too',
    )
  })

  it('input errors still throw: they are the caller’s bug, not an outage', async () => {
    await expect(cache.set('k', 'v', 0)).rejects.toThrow(RedisInputError)
    await expect(cache.set('k', 'v', 0)).rejects.toThrow(/^cache\.set: ttlSeconds: must be a whole number of seconds/)
    await expect(cache.set('k', { n: 1n }, 60)).rejects.toThrow(/BigInt/)
  })

  it('reports each absorbed failure (the default reporter logs at most one warning per 10 s)', () => {
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((e) => e.error instanceof RedisUnavailableError)).toBe(true)
    expect(cache.stats().redisErrors).toBeGreaterThanOrEqual(errors.length)
  })
})
