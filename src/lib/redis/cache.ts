import type { Redis } from '@upstash/redis'
import {
  decodeEntry,
  encodeEntryBody,
  encodeValue,
  validateKey,
  validateNamespace,
  validateSwr,
  validateTtl,
  type CacheEntry,
} from './cache-entry'
import { cacheScripts, type CacheScripts } from './cache-scripts'
import { resolveContext, type ContextSource, type RedisContext } from './context'
import { RedisInputError } from './errors'
import { withRedis } from './run'
import { createSingleFlight } from './single-flight'

/**
 * `cache`: JSON values with a TTL, stampede-safe `getOrSet`, stale-while-revalidate and O(1)
 * namespace invalidation.
 *
 * Failure policy (DESIGN.md): Redis down, slow or answering an error is a miss / no-op, never an
 * exception (getOrSet then calls the loader directly); REDIS_ENABLED=false bypasses the cache.
 * Caller bugs (bad key, bad TTL, a value JSON cannot hold) always throw RedisInputError and write nothing.
 */

/** Options of `getOrSet`. */
export interface GetOrSetOptions {
  /** Seconds the loaded value is fresh (1 to a year). */
  ttl: number
  /**
   * Seconds after `ttl` during which the old value is still returned at once while one caller
   * refreshes it in the background (default 0: expired means miss). Redis keeps the entry ttl + this.
   */
  staleWhileRevalidate?: number
}

/** The operations shared by the cache and its namespaces. */
export interface CacheStore {
  /** The cached value (typed by the caller, as JSON gave it back), or null if absent, expired or Redis is unreachable. 1 command. */
  get<T = unknown>(key: string): Promise<T | null>
  /**
   * Caches a JSON value for `ttlSeconds` (default: the cache's defaultTtlSeconds, 3600). 1 command.
   * Resolves true once stored; false when Redis is disabled or did not confirm in time (never throws
   * for that; after a timeout the write may still land).
   * Throws RedisInputError for a bad key/TTL or a value JSON cannot hold, writing nothing.
   */
  set(key: string, value: unknown, ttlSeconds?: number): Promise<boolean>
  /** Removes an entry. true when it is gone (or the cache is disabled), false if Redis could not be reached. 1 command. */
  del(key: string): Promise<boolean>
  /** Whether a live entry exists (a cached null counts). false if Redis is unreachable. 1 command. */
  exists(key: string): Promise<boolean>
  /**
   * The cached value, or the loader's result, cached for `ttl` seconds. Concurrent misses of one key
   * call the loader once: in this process (shared promise) and across processes (a Redis lock; the
   * others poll for the value, and call the loader themselves only after `lockWaitMs`). A loader
   * error reaches every caller waiting on it and is not cached. null results are cached.
   * Cost: 1 command on a hit, 2 on a miss (read+lock, write+unlock), +1 per poll while another process loads.
   */
  getOrSet<T>(key: string, loader: () => Promise<T> | T, options: GetOrSetOptions): Promise<T>
  /** getOrSet, also telling where the value came from (for an X-Cache header). Same cost. */
  fetch<T>(key: string, loader: () => Promise<T> | T, options: GetOrSetOptions): Promise<Fetched<T>>
}

/**
 * Where a getOrSet value came from: 'hit' (fresh in Redis), 'stale' (served while a refresh runs),
 * 'miss' (loaded, and stored), 'bypass' (loaded without the cache: Redis disabled or unreachable).
 */
export type CacheStatus = 'hit' | 'stale' | 'miss' | 'bypass'

/** A value and where it came from. */
export interface Fetched<T> {
  value: T
  status: CacheStatus
}

/** A cache namespace (e.g. one tenant's dossiers): the same operations, plus invalidating all its keys at once. */
export interface NamespacedCache extends CacheStore {
  readonly name: string
  /**
   * Makes every entry of the namespace a miss, in 1 command (a generation counter is bumped; old
   * entries are ignored and expire on their own). Values being loaded while it runs are not written.
   * Resolves true when done (or the cache is disabled); false if Redis could not be reached, in which
   * case entries written before stay valid until their TTL.
   */
  invalidate(): Promise<boolean>
}

/** Counters since the cache was created (for logs, health pages and tests). */
export interface CacheStats {
  /** Fresh values returned by getOrSet. */
  hits: number
  /** Stale values returned by getOrSet while a refresh ran. */
  staleHits: number
  /** getOrSet calls (per flight) that found no value. */
  misses: number
  /** Loader calls, background refreshes included. */
  loads: number
  /** getOrSet flights that found another process loading the key and waited for it. */
  lockWaits: number
  /** Waits that reached lockWaitMs, after which the caller loaded the value itself. */
  lockTimeouts: number
  /** Redis failures absorbed as a miss / no-op. */
  redisErrors: number
  /** Background refreshes whose loader (or encoding) failed; the stale value stayed. */
  refreshErrors: number
}

export interface Cache extends CacheStore {
  /** The namespace `name` (1-200 characters, no "{" or "}"), e.g. `cache.namespace(`dossiers:${tenantId}`)`. */
  namespace(name: string): NamespacedCache
  stats(): CacheStats
  /** Resolves when the background refreshes started so far have finished (graceful shutdown, tests). */
  whenIdle(): Promise<void>
}

export interface CacheOptions {
  /** TTL of `set` without one (seconds). Default 3600. */
  defaultTtlSeconds?: number
  /** How long a loader may hold the cross-process lock before another process may take over. Default 5000 ms. */
  lockTtlMs?: number
  /** How long a caller waits for another process's loader before calling its own. Default 2000 ms. */
  lockWaitMs?: number
  /** Largest value stored, in bytes of JSON. `set` rejects bigger; `getOrSet` returns them uncached. Default 1 MB (Upstash's free-plan request limit). */
  maxValueBytes?: number
  /** Wall clock in epoch ms, used for stale-while-revalidate freshness (injectable for tests). */
  now?: () => number
  /** Called with each absorbed Redis failure and failed background refresh. Default: console.warn, at most once per 10 s. */
  onError?: (error: unknown, operation: string) => void
}

/** Where one entry lives: its value key, the lock key of its loader, and its namespace's generation key. */
interface Location {
  value: string
  lock: string
  generation?: string
}

type Attempt<T> = { ok: true; value: T } | { ok: false }

interface ReadResult {
  /** The generation seen; null = namespace counter missing; "0" outside namespaces. */
  generation: string | null
  entry: CacheEntry<unknown> | null
  locked: boolean
}

const POLL_START_MS = 25
const POLL_MAX_MS = 200

/** Builds the cache on a context (the app uses `cache` from '@/lib/upstash', built on the default one). */
export function createCache(source: ContextSource, options: CacheOptions = {}): Cache {
  const defaultTtl = validateTtl(options.defaultTtlSeconds ?? 3600)
  const lockTtlMs = positiveInt('lockTtlMs', options.lockTtlMs ?? 5000)
  const lockWaitMs = positiveInt('lockWaitMs', options.lockWaitMs ?? 2000)
  const maxValueBytes = positiveInt('maxValueBytes', options.maxValueBytes ?? 1_000_000)
  const now = options.now ?? Date.now
  const onError = options.onError ?? throttledWarn(10_000)
  const flights = createSingleFlight()
  const background = new Set<Promise<void>>()
  const stats: CacheStats = { hits: 0, staleHits: 0, misses: 0, loads: 0, lockWaits: 0, lockTimeouts: 0, redisErrors: 0, refreshErrors: 0 }

  /** Runs one Redis call; any failure is reported and becomes { ok: false } (the cache never throws for Redis). */
  async function attempt<T>(ctx: RedisContext, operation: string, fn: (redis: Redis, scripts: CacheScripts) => Promise<T>): Promise<Attempt<T>> {
    try {
      return { ok: true, value: await withRedis(ctx, operation, (redis) => fn(redis, cacheScripts(redis))) }
    } catch (err) {
      stats.redisErrors++
      onError(err, operation)
      return { ok: false }
    }
  }

  const keysOf = (loc: Location): string[] => (loc.generation ? [loc.value, loc.lock, loc.generation] : [loc.value, loc.lock])

  /** A clock-based first generation: larger than any generation handed out before an eviction of the counter. */
  const initialGeneration = (): string => String(Math.floor(now()) * 1000)

  async function read(ctx: RedisContext, loc: Location, operation: string, lock?: { token: string; at: number }): Promise<Attempt<ReadResult>> {
    const r = await attempt(ctx, operation, (_redis, s) =>
      s.read.exec(keysOf(loc), [String(lock?.at ?? now()), lock?.token ?? '', String(lockTtlMs), lock ? '1' : '0']),
    )
    if (!r.ok) return r
    const [generation, raw, locked] = r.value
    return { ok: true, value: { generation: generation ?? null, entry: decodeEntry(raw), locked: locked === 1 } }
  }

  /** Releases our lock early (loader failed), so other processes need not wait for it to expire. */
  async function unlock(ctx: RedisContext, loc: Location, token: string): Promise<void> {
    await attempt(ctx, 'cache.getOrSet (unlock)', (_redis, s) => s.unlock.exec([loc.lock], [token]))
  }

  /**
   * Calls the loader and stores its result under the generation the read saw (so a namespace
   * invalidated meanwhile is not refilled with possibly older data), releasing our lock.
   */
  async function loadAndStore<T>(
    ctx: RedisContext,
    loc: Location,
    loader: () => Promise<T> | T,
    ttl: number,
    swr: number,
    seen: string | null,
    token: string,
  ): Promise<T> {
    let value: T
    let json: string
    try {
      stats.loads++
      value = await loader()
      json = encodeValue(value, Number.MAX_SAFE_INTEGER)
    } catch (err) {
      if (token) await unlock(ctx, loc, token)
      throw err
    }
    if (utf8Bytes(json) > maxValueBytes) {
      // Data-dependent, not a code bug: serve it uncached rather than fail the page.
      if (token) await unlock(ctx, loc, token)
      onError(new RedisInputError(`cached value for ${loc.value} is over maxValueBytes (${maxValueBytes}); not cached`), 'cache.getOrSet')
      return value
    }
    const body = encodeEntryBody(json, swr > 0 ? now() + ttl * 1000 : 0)
    const expected = loc.generation ? (seen ?? '-') : ''
    await attempt(ctx, 'cache.getOrSet (write)', (_redis, s) =>
      s.write.exec(keysOf(loc), [expected, initialGeneration(), body, String(ttl + swr), token]),
    )
    return value
  }

  function refreshInBackground<T>(ctx: RedisContext, loc: Location, loader: () => Promise<T> | T, ttl: number, swr: number, seen: string | null, token: string): void {
    const p = loadAndStore(ctx, loc, loader, ttl, swr, seen, token).then(
      () => undefined,
      (err: unknown) => {
        stats.refreshErrors++
        onError(err, 'cache.getOrSet (background refresh)')
      },
    )
    background.add(p)
    void p.finally(() => background.delete(p))
  }

  async function getOrSetFlight<T>(loc: Location, loader: () => Promise<T> | T, ttl: number, swr: number): Promise<Fetched<T>> {
    const ctx = resolveContext(source)
    const loaded = async (p: Promise<T>, status: CacheStatus): Promise<Fetched<T>> => ({ value: await p, status })
    if (!ctx.redis) return loaded(callLoaderUncached(loader), 'bypass')
    const token = crypto.randomUUID()
    const deadline = performance.now() + lockWaitMs
    let delay = POLL_START_MS
    let first = true
    for (;;) {
      const at = now()
      const r = await read(ctx, loc, 'cache.getOrSet', { token, at })
      if (!r.ok) return loaded(callLoaderUncached(loader), 'bypass') // Redis down: straight to the source, no write attempt
      const { generation, entry, locked } = r.value
      if (entry) {
        if (entry.freshUntil !== 0 && entry.freshUntil <= at) {
          stats.staleHits++
          if (locked) refreshInBackground(ctx, loc, loader, ttl, swr, generation, token)
          return { value: entry.value as T, status: 'stale' }
        }
        stats.hits++
        return { value: entry.value as T, status: 'hit' }
      }
      if (first) stats.misses++
      if (locked) return loaded(loadAndStore(ctx, loc, loader, ttl, swr, generation, token), 'miss')
      // Another process holds the lock and is loading: poll for its value with bounded backoff.
      if (first) stats.lockWaits++
      first = false
      const left = deadline - performance.now()
      if (left <= 0) {
        stats.lockTimeouts++
        return loaded(loadAndStore(ctx, loc, loader, ttl, swr, generation, ''), 'miss')
      }
      await sleep(Math.min(delay, left))
      delay = Math.min(delay * 2, POLL_MAX_MS)
    }
  }

  /** The loader without Redis; its result is still checked so a value JSON cannot hold fails the same way everywhere. */
  async function callLoaderUncached<T>(loader: () => Promise<T> | T): Promise<T> {
    stats.loads++
    const value = await loader()
    encodeValue(value, Number.MAX_SAFE_INTEGER)
    return value
  }

  function store(locate: (key: string) => Location): CacheStore {
    return {
      async get<T = unknown>(key: string): Promise<T | null> {
        const loc = locate(key)
        const ctx = resolveContext(source)
        if (!ctx.redis) return null
        if (!loc.generation) {
          const r = await attempt(ctx, 'cache.get', (redis) => redis.get<string>(loc.value))
          return r.ok ? ((decodeEntry<T>(r.value)?.value ?? null) as T | null) : null
        }
        const r = await read(ctx, loc, 'cache.get')
        return r.ok ? ((r.value.entry?.value ?? null) as T | null) : null
      },

      async set(key: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
        const loc = locate(key)
        const ttl = ttlSeconds === undefined ? defaultTtl : validateTtl(ttlSeconds)
        const body = encodeEntryBody(encodeValue(value, maxValueBytes), 0)
        const ctx = resolveContext(source)
        if (!ctx.redis) return false
        if (!loc.generation) {
          const r = await attempt(ctx, 'cache.set', (redis) => redis.set(loc.value, `0|${body}`, { ex: ttl }))
          return r.ok
        }
        const r = await attempt(ctx, 'cache.set', (_redis, s) => s.write.exec(keysOf(loc), ['', initialGeneration(), body, String(ttl), '']))
        return r.ok && r.value === 1
      },

      async del(key: string): Promise<boolean> {
        const loc = locate(key)
        const ctx = resolveContext(source)
        if (!ctx.redis) return true
        return (await attempt(ctx, 'cache.del', (redis) => redis.del(loc.value))).ok
      },

      async exists(key: string): Promise<boolean> {
        const loc = locate(key)
        const ctx = resolveContext(source)
        if (!ctx.redis) return false
        const gen = loc.generation
        const r = gen
          ? await attempt(ctx, 'cache.exists', (_redis, s) => s.exists.exec([loc.value, gen], []))
          : await attempt(ctx, 'cache.exists', (redis) => redis.exists(loc.value))
        return r.ok && r.value === 1
      },

      async getOrSet<T>(key: string, loader: () => Promise<T> | T, opts: GetOrSetOptions): Promise<T> {
        return (await fetchValue(key, loader, opts)).value
      },

      fetch: fetchValue,
    }

    async function fetchValue<T>(key: string, loader: () => Promise<T> | T, opts: GetOrSetOptions): Promise<Fetched<T>> {
      const loc = locate(key)
      if (typeof loader !== 'function') throw new RedisInputError('getOrSet needs a loader function as its second argument')
      if (!opts || typeof opts !== 'object') throw new RedisInputError('getOrSet needs options { ttl } (seconds) as its third argument')
      const ttl = validateTtl(opts.ttl)
      const swr = opts.staleWhileRevalidate === undefined ? 0 : validateSwr(opts.staleWhileRevalidate)
      // One flight per Redis key: concurrent callers in this process share the first one's promise.
      return flights.run(loc.value, () => getOrSetFlight(loc, loader, ttl, swr))
    }
  }

  const plain = store((key) => {
    const [value, lock] = resolveContext(source).keys.slotKeys('cache', validateKey(key), ['v', 'lock'])
    return { value, lock }
  })

  return {
    ...plain,
    namespace(name: string): NamespacedCache {
      const ns = validateNamespace(name)
      const genKey = () => resolveContext(source).keys.slotKeys('cache-ns', ns, ['gen'])[0]
      const scoped = store((key) => {
        const k = validateKey(key)
        const [generation, value, lock] = resolveContext(source).keys.slotKeys('cache-ns', ns, ['gen', `v:${k}`, `lock:${k}`])
        return { value, lock, generation }
      })
      return {
        ...scoped,
        name: ns,
        async invalidate(): Promise<boolean> {
          const ctx = resolveContext(source)
          if (!ctx.redis) return true
          const key = genKey()
          return (await attempt(ctx, 'cache.invalidate', (_redis, s) => s.invalidate.exec([key], [initialGeneration()]))).ok
        },
      }
    },
    stats: () => ({ ...stats }),
    async whenIdle(): Promise<void> {
      while (background.size > 0) await Promise.allSettled([...background])
    },
  }
}

// Web APIs only (no node: imports), so the helper also runs where the proxy or a route uses the edge runtime.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const utf8Bytes = (s: string) => new TextEncoder().encode(s).byteLength

function positiveInt(name: string, n: number): number {
  if (!Number.isSafeInteger(n) || n <= 0) throw new RedisInputError(`createCache: ${name} must be a positive whole number (got ${String(n)})`)
  return n
}

/** console.warn at most once per `intervalMs`, counting what it skipped: an outage must not flood the logs. */
function throttledWarn(intervalMs: number): (error: unknown, operation: string) => void {
  let last = -Infinity
  let skipped = 0
  return (error, operation) => {
    const t = Date.now()
    if (t - last < intervalMs) {
      skipped++
      return
    }
    const more = skipped > 0 ? ` (+${skipped} similar since the last warning)` : ''
    last = t
    skipped = 0
    console.warn(`[cache] ${operation} fell back (Redis treated as a miss): ${error instanceof Error ? error.message : String(error)}${more}`)
  }
}
