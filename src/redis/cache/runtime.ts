import type { Redis } from '@upstash/redis'
import { z } from 'zod'
import { afterAnswer, defaultWaitUntil, redisBudgetSpent, type WaitUntil } from '../core/background'
import type { ContextSource, RedisContext } from '../core/context'
import { parseInput } from '../core/helper-input'
import { withRedis } from '../core/run'
import { encodeValue, validateTtl } from './cache-entry'
import { createSingleFlight, type SingleFlight } from './single-flight'
import type { CacheOptions, CacheStats } from './types'

/** One cache's settings and state, shared by its operations (built once by createCache). */
export interface CacheRuntime {
  source: ContextSource
  /** TTL of `set` without one, in seconds. */
  defaultTtl: number
  lockTtlMs: number
  lockWaitMs: number
  maxValueBytes: number
  /** Wall clock in epoch ms (stale-while-revalidate freshness). */
  now: () => number
  onError: (error: unknown, operation: string) => void
  waitUntil: WaitUntil
  stats: CacheStats
  /** getOrSet flights running in this process, by Redis key and local invalidation epoch. */
  flights: SingleFlight
  /** Per running flight: resolved once its loader starts (joiners stop counting their wait from then). */
  loaderStarted: Map<string, Promise<void>>
  /**
   * Per namespace, how many times this process invalidated it: part of the single-flight key, so a
   * read that starts after a local invalidation never joins a load that started before it.
   */
  epochs: Map<string, number>
  /** Background work (refreshes, writes after the answer) not finished yet. */
  background: Set<Promise<void>>
}

/** A Redis call's result, or the failure the cache absorbed (reported, counted). */
export type Attempt<T> = { ok: true; value: T } | { ok: false; error: unknown }

const positiveIntSchema = z
  .number({ error: 'expected a number' })
  .int({ error: 'must be a whole number' })
  .positive({ error: 'must be positive' })

/** Validates the options (RedisInputError naming the bad one) and builds the cache's state. */
export function createCacheRuntime(source: ContextSource, options: CacheOptions): CacheRuntime {
  return {
    source,
    defaultTtl: validateTtl(options.defaultTtlSeconds ?? 3600, 'createCache', 'defaultTtlSeconds'),
    lockTtlMs: parseInput(positiveIntSchema, options.lockTtlMs ?? 5000, 'createCache: lockTtlMs'),
    lockWaitMs: parseInput(positiveIntSchema, options.lockWaitMs ?? 2000, 'createCache: lockWaitMs'),
    maxValueBytes: parseInput(positiveIntSchema, options.maxValueBytes ?? 1_000_000, 'createCache: maxValueBytes'),
    now: options.now ?? Date.now,
    onError: options.onError ?? throttledWarn(10_000),
    waitUntil: options.waitUntil ?? defaultWaitUntil,
    stats: {
      hits: 0,
      staleHits: 0,
      misses: 0,
      loads: 0,
      lockWaits: 0,
      lockTimeouts: 0,
      redisErrors: 0,
      refreshErrors: 0,
    },
    flights: createSingleFlight(),
    loaderStarted: new Map(),
    epochs: new Map(),
    background: new Set(),
  }
}

/** Runs one Redis call; any failure is reported and becomes { ok: false } (the cache never throws for Redis). */
export async function attempt<T>(
  rt: CacheRuntime,
  ctx: RedisContext,
  operation: string,
  fn: (redis: Redis) => Promise<T>,
): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await withRedis(ctx, operation, fn) }
  } catch (err) {
    rt.stats.redisErrors++
    rt.onError(err, operation)
    return { ok: false, error: err }
  }
}

/**
 * Redis work after the answer (through waitUntil), under a budget of its own: neither eating the
 * request's nor refused because the request spent it.
 */
export function inBackground(
  rt: CacheRuntime,
  ctx: RedisContext,
  operation: string,
  work: () => Promise<unknown>,
): void {
  const p = afterAnswer(work, {
    limitMs: ctx.config.timeoutMs,
    waitUntil: (promise) => rt.waitUntil(promise),
    onError: (err) => {
      rt.stats.refreshErrors++
      rt.onError(err, operation)
    },
  })
  rt.background.add(p)
  void p.finally(() => rt.background.delete(p))
}

/**
 * A write or unlock after the loader: awaited, unless the request's Redis budget is spent. Then the
 * caller has its value, and the write (which also releases our lock, else held until lockTtlMs and
 * waited on by every other instance) goes on in the background.
 */
export async function nowOrInBackground(
  rt: CacheRuntime,
  ctx: RedisContext,
  work: () => Promise<unknown>,
): Promise<void> {
  if (redisBudgetSpent()) inBackground(rt, ctx, 'cache.getOrSet (after the answer)', work)
  else await work()
}

/** The loader without Redis; its result is still checked so a value JSON cannot hold fails the same way everywhere. */
export async function callLoaderUncached<T>(rt: CacheRuntime, loader: () => Promise<T> | T): Promise<T> {
  rt.stats.loads++
  const value = await loader()
  encodeValue(value, Number.MAX_SAFE_INTEGER)
  return value
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
    console.warn(
      `[cache] ${operation} fell back (Redis treated as a miss): ${error instanceof Error ? error.message : String(error)}${more}`,
    )
  }
}
