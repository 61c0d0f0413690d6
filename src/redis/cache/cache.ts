import type { ContextSource } from '../core/context'
import { cacheStore, namespace, plainLocate } from './operations'
import { createCacheRuntime } from './runtime'
import type { Cache, CacheOptions } from './types'

export type {
  Cache,
  CacheOptions,
  CacheStats,
  CacheStatus,
  CacheStore,
  Fetched,
  GetOrSetOptions,
  NamespacedCache,
} from './types'

/**
 * Builds the cache on a context (the app uses `cache` from its entry, src/lib/upstash.ts, built on the default
 * one). Options are validated here, once; the operations live in operations.ts, getOrSet's
 * stampede protection in get-or-set.ts, the stored format in cache-entry.ts and cache-store.ts.
 */
export function createCache(source: ContextSource, options: CacheOptions = {}): Cache {
  const rt = createCacheRuntime(source, options)
  return {
    ...cacheStore(rt, plainLocate(rt)),
    namespace: (name) => namespace(rt, name),
    stats: () => ({ ...rt.stats }),
    async whenIdle(): Promise<void> {
      while (rt.background.size > 0) await Promise.allSettled([...rt.background])
    },
  }
}
