import type { RedisContext } from './context'

/**
 * The in-process stand-in for Redis when REDIS_ENABLED=false: sessions and rate-limit counters
 * live in this process only (one instance, lost on restart), bounded so memory cannot grow
 * without limit, with the same expiry and rate-limit semantics as the Redis path.
 */

/** Milliseconds since the epoch; injectable so tests can move time without sleeping. */
export type Clock = () => number

/**
 * A Map bounded to `maxEntries` with per-entry expiry and least-recently-used eviction
 * (a Map iterates in insertion order, so re-inserting on access keeps the LRU entry first).
 * Expired entries are dropped when touched, and drift to the front to be evicted first.
 */
export class TtlLru<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>()

  constructor(
    readonly maxEntries: number,
    private readonly now: Clock = Date.now,
  ) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`)
  }

  /** Live entries, expired ones not yet swept included (an upper bound). */
  get size(): number {
    return this.entries.size
  }

  /** The value, or undefined when absent or expired; marks the entry recently used. */
  get(key: string): V | undefined {
    const entry = this.live(key)
    if (!entry) return undefined
    this.entries.delete(key)
    this.entries.set(key, entry)
    return entry.value
  }

  /** Milliseconds until the entry expires, or undefined when absent (like PTTL). */
  ttlMs(key: string): number | undefined {
    const entry = this.live(key)
    return entry ? entry.expiresAt - this.now() : undefined
  }

  has(key: string): boolean {
    return this.live(key) !== undefined
  }

  /** Stores a value until `now + ttlMs`, evicting the least recently used entry when full. */
  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key)
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs })
  }

  /** Moves an entry's expiry to `now + ttlMs` (like PEXPIRE); false when it does not exist. */
  expire(key: string, ttlMs: number): boolean {
    const value = this.get(key)
    if (value === undefined) return false
    this.entries.get(key)!.expiresAt = this.now() + ttlMs
    return true
  }

  /** true when an entry was removed. */
  delete(key: string): boolean {
    return this.live(key) !== undefined && this.entries.delete(key)
  }

  private live(key: string) {
    const entry = this.entries.get(key)
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }
}

/** What one in-process rate-limit check answers (the Redis path's fields, without `reason`). */
export interface MemoryRateLimitDecision {
  allowed: boolean
  remaining: number
  /** End of the current window bucket, ms since the epoch. */
  resetAt: number
}

/**
 * The sliding-window counter of @upstash/ratelimit's `slidingWindow`, in process: the count of the
 * current fixed bucket plus the previous bucket's count weighted by how much of it still overlaps
 * the sliding window. Same formula (and same rounding) as its Lua script, so a limit behaves the
 * same with Redis on or off; exact here because JavaScript runs the check-and-increment without interleaving.
 */
export class MemoryRateLimiter {
  private readonly counters: TtlLru<{ bucket: number; current: number; previous: number }>

  constructor(
    maxIdentifiers: number,
    private readonly now: Clock = Date.now,
  ) {
    this.counters = new TtlLru(maxIdentifiers, now)
  }

  /** Counts one request for `identifier` against `limit` per `windowMs` (keys are per identifier + window). */
  limit(identifier: string, limit: number, windowMs: number): MemoryRateLimitDecision {
    const now = this.now()
    const bucket = Math.floor(now / windowMs)
    const resetAt = (bucket + 1) * windowMs
    const key = `${windowMs}:${identifier}`
    const stored = this.counters.get(key)
    let current = 0
    let previous = 0
    if (stored?.bucket === bucket) {
      current = stored.current
      previous = stored.previous
    } else if (stored?.bucket === bucket - 1) {
      previous = stored.current
    }
    const weightedPrevious = Math.floor((1 - (now % windowMs) / windowMs) * previous)
    // A refused request is not counted, as in the Lua script.
    if (weightedPrevious + current >= limit) return { allowed: false, remaining: 0, resetAt }
    current += 1
    // Kept until the end of the next bucket, where it still weighs as "previous".
    this.counters.set(key, { bucket, current, previous }, resetAt + windowMs - now)
    return { allowed: true, remaining: Math.max(0, limit - (current + weightedPrevious)), resetAt }
  }
}

/** Bounds of the in-process store: beyond them the least recently used entry is dropped. */
export interface MemoryStoreOptions {
  /** Sessions kept at most (default 10 000); the least recently used is logged out first. */
  maxSessions?: number
  /** Rate-limited identifiers tracked at most (default 10 000); an evicted one starts from zero. */
  maxRateLimitIdentifiers?: number
  now?: Clock
}

/** The in-process store behind `session` and `rateLimit` when REDIS_ENABLED=false. */
export interface MemoryStore {
  /** Session JSON by full key, so stored values are copies (like Redis), never shared objects. */
  sessions: TtlLru<string>
  rateLimits: MemoryRateLimiter
}

export const DEFAULT_MAX_SESSIONS = 10_000
export const DEFAULT_MAX_RATE_LIMIT_IDENTIFIERS = 10_000

export function createMemoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const now = options.now ?? Date.now
  return {
    sessions: new TtlLru(options.maxSessions ?? DEFAULT_MAX_SESSIONS, now),
    rateLimits: new MemoryRateLimiter(options.maxRateLimitIdentifiers ?? DEFAULT_MAX_RATE_LIMIT_IDENTIFIERS, now),
  }
}

const stores = new WeakMap<RedisContext, MemoryStore>()

/** One store per context, shared by `session` and `rateLimit` built on it (the process's store for defaultContext). */
export function memoryStoreFor(ctx: RedisContext): MemoryStore {
  let store = stores.get(ctx)
  if (!store) {
    store = createMemoryStore()
    stores.set(ctx, store)
  }
  return store
}
