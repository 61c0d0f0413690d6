import type { WaitUntil } from '../core/background'

/**
 * `cache`: JSON values with a TTL, stampede-safe `getOrSet`, stale-while-revalidate and O(1)
 * namespace invalidation.
 *
 * Failure policy (docs/helpers.md): Redis down, slow or answering an error is a miss / no-op, never an
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
  /**
   * Keeps a background refresh (stale-while-revalidate) alive after the response is sent, as
   * serverless platforms freeze a function once it answers. Default: the waitUntil installed with
   * setWaitUntil (the app's entry installs Next's `after()`); without one (scripts, tests) the
   * promise simply runs on. Give your platform's `ctx.waitUntil` here to override it.
   */
  waitUntil?: WaitUntil
}
