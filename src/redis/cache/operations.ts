import { resolveContext } from '../core/context'
import { encodeEntry, encodeValue, validateKey, validateNamespace, validateTtl } from './cache-entry'
import { readEntry, replaceGeneration, writeEntry, type Location } from './cache-store'
import { fetchValue, generationFor } from './get-or-set'
import { attempt, type CacheRuntime } from './runtime'
import type { CacheStore, NamespacedCache } from './types'

/** Where a key's entry lives: validates the key (RedisInputError naming `operation`) and builds its keys. */
export type Locate = (key: string, operation: string) => Location

/** The plain cache's keys: `<prefix>:cache:{<key>}:v` and its loader lock. */
export function plainLocate(rt: CacheRuntime): Locate {
  return (key, operation) => {
    const [value, lock] = resolveContext(rt.source).keys.slotKeys('cache', validateKey(key, operation), ['v', 'lock'])
    return { value, lock }
  }
}

/** get / set / del / exists / getOrSet / fetch over the entries `locate` places (the plain cache, or a namespace). */
export function cacheStore(rt: CacheRuntime, locate: Locate): CacheStore {
  return {
    async get<T = unknown>(key: string): Promise<T | null> {
      const loc = locate(key, 'cache.get')
      const ctx = resolveContext(rt.source)
      if (!ctx.redis) return null
      const r = await attempt(rt, ctx, 'cache.get', (redis) => readEntry<T>(redis, loc))
      return r.ok ? (r.value.entry?.value ?? null) : null
    },

    async set(key: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
      const loc = locate(key, 'cache.set')
      const ttl = ttlSeconds === undefined ? rt.defaultTtl : validateTtl(ttlSeconds, 'cache.set')
      const json = encodeValue(value, rt.maxValueBytes)
      const ctx = resolveContext(rt.source)
      if (!ctx.redis) return false
      let generation = '0'
      if (loc.generation) {
        // A namespaced entry carries the namespace's current generation (1 more command).
        const key = loc.generation
        const current = await attempt(rt, ctx, 'cache.set', (r) => r.get<string>(key))
        const g = current.ok ? await generationFor(rt, ctx, loc, { seen: current.value, ttlSeconds: ttl }) : current
        if (!g.ok) return false
        generation = g.value
      }
      return (
        await attempt(rt, ctx, 'cache.set', (r) =>
          writeEntry(r, loc, { stored: encodeEntry(generation, 0, json), ttlSeconds: ttl, releaseLock: false }),
        )
      ).ok
    },

    async del(key: string): Promise<boolean> {
      const loc = locate(key, 'cache.del')
      const ctx = resolveContext(rt.source)
      if (!ctx.redis) return true
      return (await attempt(rt, ctx, 'cache.del', (redis) => redis.del(loc.value))).ok
    },

    async exists(key: string): Promise<boolean> {
      const loc = locate(key, 'cache.exists')
      const ctx = resolveContext(rt.source)
      if (!ctx.redis) return false
      const r = await attempt(rt, ctx, 'cache.exists', (redis) => readEntry(redis, loc))
      return r.ok && r.value.entry !== null
    },

    async getOrSet(key, loader, opts) {
      return (await fetchValue(rt, { loc: locate(key, 'cache.getOrSet'), operation: 'cache.getOrSet' }, loader, opts))
        .value
    },

    fetch(key, loader, opts) {
      return fetchValue(rt, { loc: locate(key, 'cache.fetch'), operation: 'cache.fetch' }, loader, opts)
    },
  }
}

/** The namespace `name`: its entries carry its generation, which invalidate() replaces (1 command). */
export function namespace(rt: CacheRuntime, name: string): NamespacedCache {
  const ns = validateNamespace(name, 'cache.namespace')
  const genKey = () => resolveContext(rt.source).keys.slotKeys('cache-ns', ns, ['gen'])[0]
  const scoped = cacheStore(rt, (key, operation) => {
    const k = validateKey(key, operation)
    const [generation, value, lock] = resolveContext(rt.source).keys.slotKeys('cache-ns', ns, [
      'gen',
      `v:${k}`,
      `lock:${k}`,
    ])
    return { value, lock, generation }
  })
  return {
    ...scoped,
    name: ns,
    async invalidate(): Promise<boolean> {
      const ctx = resolveContext(rt.source)
      if (!ctx.redis) return true
      const key = genKey()
      rt.epochs.set(key, (rt.epochs.get(key) ?? 0) + 1)
      // Bounded: the map only needs to tell "before" from "after" for flights running now.
      if (rt.epochs.size > 10_000) rt.epochs.delete(rt.epochs.keys().next().value!)
      return (await attempt(rt, ctx, 'cache.invalidate', (r) => replaceGeneration(r, key))).ok
    },
  }
}
