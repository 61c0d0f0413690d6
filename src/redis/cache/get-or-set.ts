import { z } from 'zod'
import { waitForShared, waitWithinBudget, withOperationBudget } from '../core/budget'
import { resolveContext, type RedisContext } from '../core/context'
import { RedisBudgetSpent, RedisInputError, RedisOutcomeUnknownError } from '../core/errors'
import { parseInput } from '../core/helper-input'
import { encodeEntry, encodeValue, validateSwr, validateTtl } from './cache-entry'
import { ensureGeneration, readEntry, tryLock, unlock, writeEntry, type Location, type Snapshot } from './cache-store'
import {
  attempt,
  callLoaderUncached,
  inBackground,
  nowOrInBackground,
  type Attempt,
  type CacheRuntime,
} from './runtime'
import type { Fetched, GetOrSetOptions } from './types'

/**
 * getOrSet / fetch: the cached value, or the loader's, stampede-safe in this process (one flight per
 * key) and across processes (a Redis lock the others poll behind), with stale-while-revalidate.
 */

type Loader<T> = () => Promise<T> | T

/** One getOrSet call's particulars, handed down its steps. */
interface Plan<T> {
  ctx: RedisContext
  loc: Location
  loader: Loader<T>
  /** Seconds the value is fresh. */
  ttl: number
  /** Seconds it is served stale (while refreshed) after that. */
  swr: number
}

const loaderSchema = z.custom<() => unknown>((v) => typeof v === 'function', {
  error: 'expected a function that loads the value (the second argument)',
})
const getOrSetOptionsSchema = z.object(
  { ttl: z.unknown() },
  { error: 'expected options { ttl } (seconds), the third argument' },
)

const POLL_START_MS = 25
const POLL_MAX_MS = 200

/**
 * Validates the call, then runs its flight, or joins the one this process already runs for the key.
 * A flight's Redis calls (read, lock, write: up to 3 round trips) wait REDIS_TIMEOUT_MS at most
 * together, or share the request's budget; callers joining it wait within their own.
 */
export async function fetchValue<T>(
  rt: CacheRuntime,
  { loc, operation }: { loc: Location; operation: string },
  loader: Loader<T>,
  opts: GetOrSetOptions,
): Promise<Fetched<T>> {
  parseInput(loaderSchema, loader, `${operation}: loader`)
  parseInput(getOrSetOptionsSchema, opts, `${operation}: options`)
  const ttl = validateTtl(opts.ttl, operation, 'options.ttl')
  const swr = opts.staleWhileRevalidate === undefined ? 0 : validateSwr(opts.staleWhileRevalidate, operation)
  // One flight per Redis key (and local invalidation): concurrent callers in this process share the first one's promise.
  const epoch = loc.generation ? (rt.epochs.get(loc.generation) ?? 0) : 0
  const timeoutMs = resolveContext(rt.source).config.timeoutMs
  const flightKey = `${loc.value}#${epoch}`
  if (!rt.flights.has(flightKey)) {
    let loading!: () => void
    const started = new Promise<void>((resolve) => (loading = resolve))
    rt.loaderStarted.set(flightKey, started)
    const announced = () => (loading(), loader())
    return rt.flights
      .run(flightKey, () =>
        withOperationBudget(timeoutMs, () => getOrSetFlight(rt, { loc, loader: announced, ttl, swr })),
      )
      .finally(() => {
        if (rt.loaderStarted.get(flightKey) === started) rt.loaderStarted.delete(flightKey)
      })
  }
  // Another caller's flight, on that caller's budget. Its Redis part (read, lock, another instance's fill)
  // is waited for within our own budget, counted in it; past it we load from the source ourselves. Its
  // loader is the database's time, not Redis's: that part is waited for without counting.
  const shared = rt.flights.run(flightKey, () => Promise.reject(new Error('unreachable: the flight is running')))
  try {
    await waitForShared(Promise.race([shared, rt.loaderStarted.get(flightKey) ?? shared]))
  } catch (err) {
    if (!(err instanceof RedisBudgetSpent)) throw err
    return { value: await callLoaderUncached(rt, loader), status: 'bypass' }
  }
  return shared as Promise<Fetched<T>>
}

/**
 * One getOrSet flight (callers of the same key in this process share it):
 *   hit: 1 command (MGET). Uncontended miss: MGET, SET NX (lock), then SET + DEL pipelined = 4.
 *   Another process loading: poll with MGET (backoff 25 → 200 ms) until its value lands, the lock
 *   is released without one (take it), or lockWaitMs passes (load without the lock).
 */
async function getOrSetFlight<T>(rt: CacheRuntime, call: Omit<Plan<T>, 'ctx'>): Promise<Fetched<T>> {
  const plan: Plan<T> = { ...call, ctx: resolveContext(rt.source) }
  const { ctx, loc } = plan
  const bypass = async (): Promise<Fetched<T>> => ({
    value: await callLoaderUncached(rt, plan.loader),
    status: 'bypass',
  })
  if (!ctx.redis) return bypass()
  let snap = await attempt(rt, ctx, 'cache.getOrSet', (r) => readEntry<T>(r, loc))
  if (!snap.ok) return bypass() // Redis down: straight to the source, no write attempt
  const hit = fromEntry(rt, plan, snap.value)
  if (hit) return hit
  rt.stats.misses++

  const deadline = performance.now() + rt.lockWaitMs
  let delay = POLL_START_MS
  let waited = false
  for (;;) {
    const generation = await generationFor(rt, ctx, loc, {
      seen: snap.value.generation,
      ttlSeconds: plan.ttl + plan.swr,
    })
    if (!generation.ok) return bypass()
    if (!snap.value.locked) {
      const locked = await takeLock(rt, plan)
      if (locked === undefined) return bypass()
      if (locked)
        return { value: await loadAndStore(rt, plan, { generation: generation.value, locked: true }), status: 'miss' }
    }
    // Another process holds the lock and is loading: wait for its value, bounded.
    if (!waited) rt.stats.lockWaits++
    waited = true
    const left = deadline - performance.now()
    // Waiting for another instance's fill is Redis work: within the request's budget, or load it ourselves.
    if (left <= 0 || !(await waitWithinBudget(Math.min(delay, left)))) {
      rt.stats.lockTimeouts++
      return { value: await loadAndStore(rt, plan, { generation: generation.value, locked: false }), status: 'miss' }
    }
    delay = Math.min(delay * 2, POLL_MAX_MS)
    snap = await attempt(rt, ctx, 'cache.getOrSet (wait)', (r) => readEntry<T>(r, loc))
    if (!snap.ok) return bypass()
    const landed = fromEntry(rt, plan, snap.value)
    if (landed) return landed
  }
}

/**
 * Takes the loader lock (1 command): true when ours, false when another process holds it,
 * undefined when Redis failed (the caller bypasses the cache).
 */
async function takeLock(rt: CacheRuntime, { ctx, loc }: Plan<unknown>): Promise<boolean | undefined> {
  const locked = await attempt(rt, ctx, 'cache.getOrSet (lock)', (r) =>
    tryLock(r, loc, crypto.randomUUID(), rt.lockTtlMs),
  )
  if (locked.ok) return locked.value
  // The budget ran out with the lock request in flight: if it took the lock after all, give it back
  // (else every reader of this key waits on it until lockTtlMs).
  const late = locked.error instanceof RedisOutcomeUnknownError ? locked.error.outcome : undefined
  if (late)
    inBackground(
      rt,
      ctx,
      'cache.getOrSet (unlock after the answer)',
      async () => (await late) === true && attempt(rt, ctx, 'cache.getOrSet (unlock)', (r) => unlock(r, loc)),
    )
  return undefined
}

/** The generation a write must carry: the one the read saw, or a new one when the namespace had none. */
export async function generationFor(
  rt: CacheRuntime,
  ctx: RedisContext,
  loc: Location,
  { seen, ttlSeconds }: { seen: string | null; ttlSeconds: number },
): Promise<Attempt<string>> {
  if (seen !== null) return { ok: true, value: seen }
  return attempt(rt, ctx, 'cache (generation)', (r) => ensureGeneration(r, loc.generation!, ttlSeconds))
}

/**
 * Calls the loader and stores its result tagged with the generation the read saw. An entry loaded
 * while the namespace was invalidated carries the old generation, so it is never served: reads
 * compare it with the current one. Releases our lock (when `locked`) in the same round trip.
 */
async function loadAndStore<T>(
  rt: CacheRuntime,
  plan: Plan<T>,
  write: { generation: string; locked: boolean },
): Promise<T> {
  const { ctx, loc, ttl, swr } = plan
  const unlockNow = () =>
    nowOrInBackground(rt, ctx, () => attempt(rt, ctx, 'cache.getOrSet (unlock)', (r) => unlock(r, loc)))
  let value: T
  let json: string
  try {
    rt.stats.loads++
    value = await plan.loader()
    json = encodeValue(value, Number.MAX_SAFE_INTEGER)
  } catch (err) {
    if (write.locked) await unlockNow()
    throw err
  }
  if (utf8Bytes(json) > rt.maxValueBytes) {
    // Data-dependent, not a code bug: serve it uncached rather than fail the page.
    if (write.locked) await unlockNow()
    rt.onError(
      new RedisInputError(`cached value for ${loc.value} is over maxValueBytes (${rt.maxValueBytes}); not cached`),
      'cache.getOrSet',
    )
    return value
  }
  const stored = encodeEntry(write.generation, swr > 0 ? rt.now() + ttl * 1000 : 0, json)
  await nowOrInBackground(rt, ctx, () =>
    attempt(rt, ctx, 'cache.getOrSet (write)', (r) =>
      writeEntry(r, loc, { stored, ttlSeconds: ttl + swr, releaseLock: write.locked }),
    ),
  )
  return value
}

/** A snapshot's entry as an answer: fresh → hit; stale → served while one process refreshes it. */
function fromEntry<T>(rt: CacheRuntime, plan: Plan<T>, snap: Snapshot<T>): Fetched<T> | null {
  const entry = snap.entry
  if (!entry) return null
  if (entry.freshUntil !== 0 && entry.freshUntil <= rt.now()) {
    rt.stats.staleHits++
    refreshInBackground(rt, plan, entry.generation)
    return { value: entry.value, status: 'stale' }
  }
  rt.stats.hits++
  return { value: entry.value, status: 'hit' }
}

function refreshInBackground<T>(rt: CacheRuntime, plan: Plan<T>, generation: string): void {
  const { ctx, loc } = plan
  inBackground(rt, ctx, 'cache.getOrSet (background refresh)', async () => {
    // Only one process refreshes a stale entry: the one that gets the lock (1 command); the others keep serving it.
    const locked = await attempt(rt, ctx, 'cache.getOrSet (refresh lock)', (r) =>
      tryLock(r, loc, crypto.randomUUID(), rt.lockTtlMs),
    )
    if (!locked.ok || !locked.value) return
    // Another process may have refreshed it between our read and our lock: then there is nothing to do.
    const again = await attempt(rt, ctx, 'cache.getOrSet (refresh check)', (r) => readEntry<T>(r, loc))
    const entry = again.ok ? again.value.entry : null
    if (entry && (entry.freshUntil === 0 || entry.freshUntil > rt.now())) {
      await attempt(rt, ctx, 'cache.getOrSet (unlock)', (r) => unlock(r, loc))
      return
    }
    await loadAndStore(rt, plan, { generation, locked: true })
  })
}

const utf8Bytes = (s: string) => new TextEncoder().encode(s).byteLength
