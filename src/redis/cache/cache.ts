import { z } from 'zod'
import { encodeEntry, encodeValue, validateKey, validateNamespace, validateSwr, validateTtl } from './cache-entry'
import { ensureGeneration, readEntry, replaceGeneration, tryLock, unlock, writeEntry, type Location, type Snapshot } from './cache-store'
import { resolveContext, type ContextSource, type RedisContext } from '../core/context'
import { RedisInputError, RedisOutcomeUnknownError } from '../core/errors'
import { parseInput } from '../core/helper-input'
import { afterAnswer, nextAfter, redisBudgetSpent } from '../core/background'
import { RedisBudgetSpent, waitForShared, waitWithinBudget, withOperationBudget } from '../core/budget'
import { withRedis } from '../core/run'
import { createSingleFlight } from './single-flight'
import type { Redis } from '@upstash/redis'

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
   * serverless platforms freeze a function once it answers. Default: Next's `after()` inside a
   * request; outside one (scripts, tests) the promise simply runs on. Give your platform's
   * `ctx.waitUntil` elsewhere.
   */
  waitUntil?: (promise: Promise<unknown>) => void
}

type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown }

const positiveIntSchema = z.number({ error: 'expected a number' }).int({ error: 'must be a whole number' }).positive({ error: 'must be positive' })
const loaderSchema = z.custom<() => unknown>((v) => typeof v === 'function', { error: 'expected a function that loads the value (the second argument)' })
const getOrSetOptionsSchema = z.object({ ttl: z.unknown() }, { error: 'expected options { ttl } (seconds), the third argument' })

const POLL_START_MS = 25
const POLL_MAX_MS = 200

/** Builds the cache on a context (the app uses `cache` from '@/lib/upstash', built on the default one). */
export function createCache(source: ContextSource, options: CacheOptions = {}): Cache {
  const defaultTtl = validateTtl(options.defaultTtlSeconds ?? 3600, 'createCache', 'defaultTtlSeconds')
  const lockTtlMs = parseInput(positiveIntSchema, options.lockTtlMs ?? 5000, 'createCache: lockTtlMs')
  const lockWaitMs = parseInput(positiveIntSchema, options.lockWaitMs ?? 2000, 'createCache: lockWaitMs')
  const maxValueBytes = parseInput(positiveIntSchema, options.maxValueBytes ?? 1_000_000, 'createCache: maxValueBytes')
  const now = options.now ?? Date.now
  const onError = options.onError ?? throttledWarn(10_000)
  const flights = createSingleFlight()
  /** Per running flight: resolved once its loader starts (joiners stop counting their wait from then). */
  const loaderStarted = new Map<string, Promise<void>>()
  /**
   * Per namespace, how many times this process invalidated it: part of the single-flight key, so a
   * read that starts after a local invalidation never joins a load that started before it.
   */
  const epochs = new Map<string, number>()
  const waitUntil = options.waitUntil ?? nextAfter
  const background = new Set<Promise<void>>()
  const stats: CacheStats = { hits: 0, staleHits: 0, misses: 0, loads: 0, lockWaits: 0, lockTimeouts: 0, redisErrors: 0, refreshErrors: 0 }

  /** Runs one Redis call; any failure is reported and becomes { ok: false } (the cache never throws for Redis). */
  async function attempt<T>(ctx: RedisContext, operation: string, fn: (redis: Redis) => Promise<T>): Promise<Attempt<T>> {
    try {
      return { ok: true, value: await withRedis(ctx, operation, fn) }
    } catch (err) {
      stats.redisErrors++
      onError(err, operation)
      return { ok: false, error: err }
    }
  }

  const read = <T>(ctx: RedisContext, loc: Location, operation: string) => attempt(ctx, operation, (r) => readEntry<T>(r, loc))

  /** The generation a write must carry: the one the read saw, or a new one when the namespace had none. */
  async function generationFor(ctx: RedisContext, loc: Location, seen: string | null, ttlSeconds: number): Promise<Attempt<string>> {
    if (seen !== null) return { ok: true, value: seen }
    return attempt(ctx, 'cache (generation)', (r) => ensureGeneration(r, loc.generation!, ttlSeconds))
  }

  /**
   * Calls the loader and stores its result tagged with the generation the read saw. An entry loaded
   * while the namespace was invalidated carries the old generation, so it is never served: reads
   * compare it with the current one. Releases our lock in the same round trip.
   */
  async function loadAndStore<T>(ctx: RedisContext, loc: Location, loader: () => Promise<T> | T, ttl: number, swr: number, generation: string, locked: boolean): Promise<T> {
    let value: T
    let json: string
    try {
      stats.loads++
      value = await loader()
      json = encodeValue(value, Number.MAX_SAFE_INTEGER)
    } catch (err) {
      if (locked) await nowOrInBackground(ctx, () => attempt(ctx, 'cache.getOrSet (unlock)', (r) => unlock(r, loc)))
      throw err
    }
    if (utf8Bytes(json) > maxValueBytes) {
      // Data-dependent, not a code bug: serve it uncached rather than fail the page.
      if (locked) await nowOrInBackground(ctx, () => attempt(ctx, 'cache.getOrSet (unlock)', (r) => unlock(r, loc)))
      onError(new RedisInputError(`cached value for ${loc.value} is over maxValueBytes (${maxValueBytes}); not cached`), 'cache.getOrSet')
      return value
    }
    const stored = encodeEntry(generation, swr > 0 ? now() + ttl * 1000 : 0, json)
    await nowOrInBackground(ctx, () => attempt(ctx, 'cache.getOrSet (write)', (r) => writeEntry(r, loc, stored, ttl + swr, locked)))
    return value
  }

  function refreshInBackground<T>(ctx: RedisContext, loc: Location, loader: () => Promise<T> | T, ttl: number, swr: number, generation: string): void {
    inBackground(ctx, 'cache.getOrSet (background refresh)', async () => {
      // Only one process refreshes a stale entry: the one that gets the lock (1 command); the others keep serving it.
      const locked = await attempt(ctx, 'cache.getOrSet (refresh lock)', (r) => tryLock(r, loc, crypto.randomUUID(), lockTtlMs))
      if (!locked.ok || !locked.value) return
      // Another process may have refreshed it between our read and our lock: then there is nothing to do.
      const again = await read(ctx, loc, 'cache.getOrSet (refresh check)')
      const entry = again.ok ? again.value.entry : null
      if (entry && (entry.freshUntil === 0 || entry.freshUntil > now())) {
        await attempt(ctx, 'cache.getOrSet (unlock)', (r) => unlock(r, loc))
        return
      }
      await loadAndStore(ctx, loc, loader, ttl, swr, generation, true)
    })
  }

  /**
   * A write or unlock after the loader: awaited, unless the request's Redis budget is spent. Then the
   * caller has its value, and the write (which also releases our lock, else held until lockTtlMs and
   * waited on by every other instance) goes on in the background.
   */
  async function nowOrInBackground(ctx: RedisContext, work: () => Promise<unknown>): Promise<void> {
    if (redisBudgetSpent()) inBackground(ctx, 'cache.getOrSet (after the answer)', work)
    else await work()
  }

  /**
   * Redis work after the answer (through waitUntil), under a budget of its own: neither eating the
   * request's nor refused because the request spent it.
   */
  function inBackground(ctx: RedisContext, operation: string, work: () => Promise<unknown>): void {
    const p = afterAnswer(work, {
      limitMs: ctx.config.timeoutMs,
      waitUntil: (promise) => waitUntil(promise),
      onError: (err) => {
        stats.refreshErrors++
        onError(err, operation)
      },
    })
    background.add(p)
    void p.finally(() => background.delete(p))
  }

  /** A snapshot's entry as an answer: fresh → hit; stale → served while one process refreshes it. */
  function fromEntry<T>(ctx: RedisContext, loc: Location, snap: Snapshot<T>, loader: () => Promise<T> | T, ttl: number, swr: number): Fetched<T> | null {
    const entry = snap.entry
    if (!entry) return null
    if (entry.freshUntil !== 0 && entry.freshUntil <= now()) {
      stats.staleHits++
      refreshInBackground(ctx, loc, loader, ttl, swr, entry.generation)
      return { value: entry.value, status: 'stale' }
    }
    stats.hits++
    return { value: entry.value, status: 'hit' }
  }

  /**
   * One getOrSet flight (callers of the same key in this process share it):
   *   hit: 1 command (MGET). Uncontended miss: MGET, SET NX (lock), then SET + DEL pipelined = 4.
   *   Another process loading: poll with MGET (backoff 25 → 200 ms) until its value lands, the lock
   *   is released without one (take it), or lockWaitMs passes (load without the lock).
   */
  async function getOrSetFlight<T>(loc: Location, loader: () => Promise<T> | T, ttl: number, swr: number): Promise<Fetched<T>> {
    const ctx = resolveContext(source)
    const bypass = async (): Promise<Fetched<T>> => ({ value: await callLoaderUncached(loader), status: 'bypass' })
    if (!ctx.redis) return bypass()
    let snap = await read<T>(ctx, loc, 'cache.getOrSet')
    if (!snap.ok) return bypass() // Redis down: straight to the source, no write attempt
    const hit = fromEntry(ctx, loc, snap.value, loader, ttl, swr)
    if (hit) return hit
    stats.misses++

    const deadline = performance.now() + lockWaitMs
    let delay = POLL_START_MS
    let waited = false
    for (;;) {
      const generation = await generationFor(ctx, loc, snap.value.generation, ttl + swr)
      if (!generation.ok) return bypass()
      if (!snap.value.locked) {
        const locked = await attempt(ctx, 'cache.getOrSet (lock)', (r) => tryLock(r, loc, crypto.randomUUID(), lockTtlMs))
        if (!locked.ok) {
          // The budget ran out with the lock request in flight: if it took the lock after all, give it back
          // (else every reader of this key waits on it until lockTtlMs).
          const late = locked.error instanceof RedisOutcomeUnknownError ? locked.error.outcome : undefined
          if (late) inBackground(ctx, 'cache.getOrSet (unlock after the answer)', async () => (await late) === true && attempt(ctx, 'cache.getOrSet (unlock)', (r) => unlock(r, loc)))
          return bypass()
        }
        if (locked.value) return { value: await loadAndStore(ctx, loc, loader, ttl, swr, generation.value, true), status: 'miss' }
      }
      // Another process holds the lock and is loading: wait for its value, bounded.
      if (!waited) stats.lockWaits++
      waited = true
      const left = deadline - performance.now()
      if (left <= 0) {
        stats.lockTimeouts++
        return { value: await loadAndStore(ctx, loc, loader, ttl, swr, generation.value, false), status: 'miss' }
      }
      // Waiting for another instance's fill is Redis work: within the request's budget, or load it ourselves.
      if (!(await waitWithinBudget(Math.min(delay, left)))) {
        stats.lockTimeouts++
        return { value: await loadAndStore(ctx, loc, loader, ttl, swr, generation.value, false), status: 'miss' }
      }
      delay = Math.min(delay * 2, POLL_MAX_MS)
      snap = await read<T>(ctx, loc, 'cache.getOrSet (wait)')
      if (!snap.ok) return bypass()
      const landed = fromEntry(ctx, loc, snap.value, loader, ttl, swr)
      if (landed) return landed
    }
  }

  /** The loader without Redis; its result is still checked so a value JSON cannot hold fails the same way everywhere. */
  async function callLoaderUncached<T>(loader: () => Promise<T> | T): Promise<T> {
    stats.loads++
    const value = await loader()
    encodeValue(value, Number.MAX_SAFE_INTEGER)
    return value
  }

  function store(locate: (key: string, operation: string) => Location): CacheStore {
    return {
      async get<T = unknown>(key: string): Promise<T | null> {
        const loc = locate(key, 'cache.get')
        const ctx = resolveContext(source)
        if (!ctx.redis) return null
        const r = await read<T>(ctx, loc, 'cache.get')
        return r.ok ? (r.value.entry?.value ?? null) : null
      },

      async set(key: string, value: unknown, ttlSeconds?: number): Promise<boolean> {
        const loc = locate(key, 'cache.set')
        const ttl = ttlSeconds === undefined ? defaultTtl : validateTtl(ttlSeconds, 'cache.set')
        const json = encodeValue(value, maxValueBytes)
        const ctx = resolveContext(source)
        if (!ctx.redis) return false
        let generation = '0'
        if (loc.generation) {
          // A namespaced entry carries the namespace's current generation (1 more command).
          const key = loc.generation
          const current = await attempt(ctx, 'cache.set', (r) => r.get<string>(key))
          const g = current.ok ? await generationFor(ctx, loc, current.value, ttl) : current
          if (!g.ok) return false
          generation = g.value
        }
        return (await attempt(ctx, 'cache.set', (r) => writeEntry(r, loc, encodeEntry(generation, 0, json), ttl, false))).ok
      },

      async del(key: string): Promise<boolean> {
        const loc = locate(key, 'cache.del')
        const ctx = resolveContext(source)
        if (!ctx.redis) return true
        return (await attempt(ctx, 'cache.del', (redis) => redis.del(loc.value))).ok
      },

      async exists(key: string): Promise<boolean> {
        const loc = locate(key, 'cache.exists')
        const ctx = resolveContext(source)
        if (!ctx.redis) return false
        const r = await read(ctx, loc, 'cache.exists')
        return r.ok && r.value.entry !== null
      },

      async getOrSet<T>(key: string, loader: () => Promise<T> | T, opts: GetOrSetOptions): Promise<T> {
        return (await fetchValue(key, loader, opts, 'cache.getOrSet')).value
      },

      fetch<T>(key: string, loader: () => Promise<T> | T, opts: GetOrSetOptions): Promise<Fetched<T>> {
        return fetchValue(key, loader, opts, 'cache.fetch')
      },
    }

    async function fetchValue<T>(key: string, loader: () => Promise<T> | T, opts: GetOrSetOptions, operation: string): Promise<Fetched<T>> {
      const loc = locate(key, operation)
      parseInput(loaderSchema, loader, `${operation}: loader`)
      parseInput(getOrSetOptionsSchema, opts, `${operation}: options`)
      const ttl = validateTtl(opts.ttl, operation, 'options.ttl')
      const swr = opts.staleWhileRevalidate === undefined ? 0 : validateSwr(opts.staleWhileRevalidate, operation)
      // One flight per Redis key (and local invalidation): concurrent callers in this process share the first one's promise.
      const epoch = loc.generation ? (epochs.get(loc.generation) ?? 0) : 0
      // Its Redis calls (read, lock, write: up to 3 round trips) wait REDIS_TIMEOUT_MS at most together, or
      // share the request's budget; callers joining it wait within their own.
      const timeoutMs = resolveContext(source).config.timeoutMs
      const flightKey = `${loc.value}#${epoch}`
      if (!flights.has(flightKey)) {
        let loading!: () => void
        const started = new Promise<void>((resolve) => (loading = resolve))
        loaderStarted.set(flightKey, started)
        const announced = () => (loading(), loader())
        return flights.run(flightKey, () => withOperationBudget(timeoutMs, () => getOrSetFlight(loc, announced, ttl, swr))).finally(() => {
          if (loaderStarted.get(flightKey) === started) loaderStarted.delete(flightKey)
        })
      }
      // Another caller's flight, on that caller's budget. Its Redis part (read, lock, another instance's fill)
      // is waited for within our own budget, counted in it; past it we load from the source ourselves. Its
      // loader is the database's time, not Redis's: that part is waited for without counting.
      const shared = flights.run(flightKey, () => Promise.reject(new Error('unreachable: the flight is running')))
      try {
        await waitForShared(Promise.race([shared, loaderStarted.get(flightKey) ?? shared]))
      } catch (err) {
        if (!(err instanceof RedisBudgetSpent)) throw err
        return { value: await callLoaderUncached(loader), status: 'bypass' }
      }
      return shared
    }
  }

  const plain = store((key, operation) => {
    const [value, lock] = resolveContext(source).keys.slotKeys('cache', validateKey(key, operation), ['v', 'lock'])
    return { value, lock }
  })

  return {
    ...plain,
    namespace(name: string): NamespacedCache {
      const ns = validateNamespace(name, 'cache.namespace')
      const genKey = () => resolveContext(source).keys.slotKeys('cache-ns', ns, ['gen'])[0]
      const scoped = store((key, operation) => {
        const k = validateKey(key, operation)
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
          epochs.set(key, (epochs.get(key) ?? 0) + 1)
          // Bounded: the map only needs to tell "before" from "after" for flights running now.
          if (epochs.size > 10_000) epochs.delete(epochs.keys().next().value!)
          return (await attempt(ctx, 'cache.invalidate', (r) => replaceGeneration(r, key))).ok
        },
      }
    },
    stats: () => ({ ...stats }),
    async whenIdle(): Promise<void> {
      while (background.size > 0) await Promise.allSettled([...background])
    },
  }
}

const utf8Bytes = (s: string) => new TextEncoder().encode(s).byteLength


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
