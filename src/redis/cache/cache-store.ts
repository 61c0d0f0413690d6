import type { Redis } from '@upstash/redis'
import { decodeEntry, type CacheEntry } from './cache-entry'

/**
 * The cache's Redis operations, each one plain command (or one pipelined pair), no Lua: Upstash
 * bills a script 1 + every command it runs, so a hit must not be a script.
 *
 * Keys of one entry (all with the same `{…}` hash tag, one cluster slot): the value, the loader
 * lock, and for namespaces the generation, an opaque random token. Invalidation replaces the token;
 * an entry counts only when its stored generation equals the current one, compared here in the
 * client after one MGET. Tokens are random, never counters, so a generation that expired or was
 * evicted and is created again can never make an old entry valid again.
 */

/** Where one entry lives. */
export interface Location {
  value: string
  lock: string
  /** The namespace's generation key; absent outside namespaces (generation "0"). */
  generation?: string
}

/** What one read saw. */
export interface Snapshot<T> {
  /** The current generation: "0" outside namespaces, null when the namespace has none (never written, or expired). */
  generation: string | null
  /** The entry, only if it belongs to the current generation. */
  entry: CacheEntry<T> | null
  /** Whether some process holds the loader lock. */
  locked: boolean
}

/**
 * A generation set by an invalidation lives this long (then the namespace's entries are misses once).
 * One created by a read lives as long as the entry being written: a namespace nobody writes (e.g.
 * one per unknown tenant id) leaves nothing behind. An entry that outlives its generation is a
 * miss, never revived, since the next generation is another random token.
 */
export const GENERATION_TTL_SECONDS = 7 * 24 * 3600

export const newToken = (): string => crypto.randomUUID()

/** One MGET of the generation, the entry and the lock: the whole hit path. 1 command. */
export async function readEntry<T>(redis: Redis, loc: Location): Promise<Snapshot<T>> {
  if (!loc.generation) {
    const [raw, lock] = await redis.mget<[string | null, string | null]>(loc.value, loc.lock)
    const entry = decodeEntry<T>(raw)
    return { generation: '0', entry: entry && entry.generation === '0' ? entry : null, locked: lock !== null }
  }
  const [generation, raw, lock] = await redis.mget<[string | null, string | null, string | null]>(
    loc.generation,
    loc.value,
    loc.lock,
  )
  const entry = decodeEntry<T>(raw)
  return {
    generation,
    entry: generation !== null && entry?.generation === generation ? entry : null,
    locked: lock !== null,
  }
}

/** Takes the loader lock for `ttlMs` unless another process holds it. 1 command (SET NX PX). */
export async function tryLock(redis: Redis, loc: Location, token: string, ttlMs: number): Promise<boolean> {
  return (await redis.set(loc.lock, token, { nx: true, px: ttlMs })) !== null
}

/**
 * The namespace's generation, creating one when it has none. 1 command (SET NX GET EX): whichever
 * process creates it first, everyone gets the same token.
 */
export async function ensureGeneration(redis: Redis, generationKey: string, ttlSeconds: number): Promise<string> {
  const fresh = newToken()
  const previous = await redis.set<string>(generationKey, fresh, { nx: true, get: true, ex: ttlSeconds })
  return previous ?? fresh
}

/** Makes every entry of a namespace a miss. 1 command (SET EX). */
export async function replaceGeneration(redis: Redis, generationKey: string): Promise<void> {
  await redis.set(generationKey, newToken(), { ex: GENERATION_TTL_SECONDS })
}

/**
 * Stores an entry for `ttlSeconds` and, when `releaseLock`, drops the loader lock: one round trip
 * (2 commands pipelined, 1 without the lock).
 */
export async function writeEntry(
  redis: Redis,
  loc: Location,
  { stored, ttlSeconds, releaseLock }: { stored: string; ttlSeconds: number; releaseLock: boolean },
): Promise<void> {
  if (!releaseLock) {
    await redis.set(loc.value, stored, { ex: ttlSeconds })
    return
  }
  await redis.pipeline().set(loc.value, stored, { ex: ttlSeconds }).del(loc.lock).exec()
}

/** Drops the loader lock (the loader failed), so others need not wait for it to expire. 1 command. */
export async function unlock(redis: Redis, loc: Location): Promise<void> {
  await redis.del(loc.lock)
}
