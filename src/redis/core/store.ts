import type { Redis } from '@upstash/redis'
import { LRUCache } from 'lru-cache'
import { withRedis, type RedisHandle } from './run'

/**
 * The few key-value operations `session` and `rateLimit` need, behind one narrow interface with two
 * stores: Redis (through @upstash/redis), or this process's memory when REDIS_ENABLED=false. The
 * context picks one once; the helpers never branch on which.
 */
export interface KeyValueStore {
  /** 'memory': REDIS_ENABLED=false, one instance only (answers are flagged so). */
  readonly kind: 'redis' | 'memory'
  /** Milliseconds since the epoch, as the store sees time (injectable in memory, for tests). */
  now(): number
  get(op: string, key: string): Promise<string | null>
  /** GET that also restarts the key's lifetime (GETEX): sliding expiry in one command. */
  getAndExpire(op: string, key: string, ttlSeconds: number): Promise<string | null>
  /** SET with a lifetime; with `onlyIfAbsent`, false when the key exists (SET NX). */
  set(op: string, key: string, value: string, options: { ttlSeconds: number; onlyIfAbsent?: boolean }): Promise<boolean>
  /** true when the key existed. */
  delete(op: string, key: string): Promise<boolean>
  /** true when the key exists (its lifetime restarted). */
  expire(op: string, key: string, ttlSeconds: number): Promise<boolean>
  /** The rate limiter's step, one round trip (see CountStep). */
  count(op: string, step: CountStep): Promise<{ count: number; previous: number }>
  /** Gives a counted unit back (DECR). */
  uncount(op: string, counter: string): Promise<void>
  /** Adds a member to an index (a sorted set by time, e.g. one user's sessions), see IndexEntry. One round trip. */
  index(op: string, entry: IndexEntry): Promise<void>
  /** Removes `member` from `index`. */
  unindex(op: string, index: string, member: string): Promise<void>
  /** Every member of `index`, oldest first. */
  members(op: string, index: string): Promise<string[]>
  /** Deletes every key given, in one command; how many existed. */
  deleteMany(op: string, keys: string[]): Promise<number>
}

/** INCR `counter`; give it an expiry of `expiryMs` unless it has one (PEXPIRE NX) when `setExpiry`; read `previous` when given. */
export interface CountStep {
  counter: string
  setExpiry: boolean
  expiryMs: number
  /** The previous bucket's counter, read in the same round trip. */
  previous?: string
}

/** Adds `member` to `index` at `atMs` and, in the same round trip, drops members added before `dropBeforeMs` and keeps the index `ttlSeconds`. */
export interface IndexEntry {
  index: string
  member: string
  atMs: number
  ttlSeconds: number
  dropBeforeMs: number
}

/** Redis through @upstash/redis: RedisUnavailableError when it cannot be reached in time (withRedis). */
export function redisStore(ctx: RedisHandle): KeyValueStore {
  const run = <T>(op: string, fn: (r: Redis) => Promise<T>) => withRedis(ctx, op, fn)
  return {
    kind: 'redis',
    now: Date.now,
    get: (op, key) => run(op, (r) => r.get<string>(key)),
    getAndExpire: (op, key, ttl) => run(op, (r) => r.getex<string>(key, { ex: ttl })),
    set: (op, key, value, { ttlSeconds: ttl, onlyIfAbsent: nx }) =>
      run(op, async (r) =>
        nx ? (await r.set(key, value, { ex: ttl, nx: true })) !== null : (await r.set(key, value, { ex: ttl }), true),
      ),
    delete: (op, key) => run(op, async (r) => (await r.del(key)) > 0),
    expire: (op, key, ttl) => run(op, async (r) => (await r.expire(key, ttl)) === 1),
    count: (op, { counter, setExpiry, expiryMs, previous }) =>
      run(op, async (r) => {
        if (!setExpiry && previous === undefined)
          return { count: counterValue(await r.incr(counter), 'INCR'), previous: 0 }
        const p = r.pipeline().incr(counter)
        if (setExpiry) p.pexpire(counter, expiryMs, 'NX')
        if (previous !== undefined) p.get<string | number | null>(previous)
        const replies = (await p.exec()) as unknown[]
        return {
          count: counterValue(replies[0], 'INCR'),
          previous:
            previous === undefined ? 0 : counterValue(replies[replies.length - 1] ?? 0, 'GET of the previous bucket'),
        }
      }),
    uncount: (op, counter) => run(op, async (r) => void (await r.decr(counter))),
    index: (op, { index, member, atMs, ttlSeconds, dropBeforeMs }) =>
      run(
        op,
        async (r) =>
          void (await r
            .pipeline()
            .zadd(index, { score: atMs, member })
            .zremrangebyscore(index, '-inf', `(${dropBeforeMs}`)
            .expire(index, ttlSeconds)
            .exec()),
      ),
    unindex: (op, index, member) => run(op, async (r) => void (await r.zrem(index, member))),
    members: (op, index) => run(op, async (r) => (await r.zrange<string[]>(index, 0, -1)).map(String)),
    deleteMany: (op, keys) => (keys.length === 0 ? Promise.resolve(0) : run(op, (r) => r.del(...keys))),
  }
}

/**
 * A counter's value as Redis answered it. Anything but a whole number is not an outage but a wrong
 * answer (a key overwritten by something else, a corrupted connection): thrown as an error, so it is
 * seen, rather than compared with the limit (a refusal remembered until the next bucket).
 */
export function counterValue(reply: unknown, command: string): number {
  const n =
    typeof reply === 'number'
      ? reply
      : typeof reply === 'string' && /^-?\d{1,16}$/.test(reply)
        ? Number(reply)
        : Number.NaN
  if (!Number.isSafeInteger(n))
    throw new Error(
      `rateLimit: ${command} answered ${typeof reply === 'string' ? `a ${reply.length}-character string` : typeof reply}, not a whole number`,
    )
  return n
}

/** Bounds of the in-process store: beyond them the least recently used entry is dropped. */
export interface MemoryStoreOptions {
  /** Sessions kept at most (default 10 000); the least recently used is logged out first. */
  maxSessions?: number
  /** Rate-limit counters kept at most (default 20 000, two per identifier); an evicted one starts from zero. */
  maxCounters?: number
  /** Milliseconds since the epoch (tests move time without sleeping). */
  now?: () => number
}

export const DEFAULT_MAX_SESSIONS = 10_000
export const DEFAULT_MAX_COUNTERS = 20_000

/**
 * This process's memory (REDIS_ENABLED=false), on lru-cache: bounded, with per-entry expiry, values
 * stored as strings like Redis (copies, never shared objects). Counters live apart from sessions so
 * that a flood of rate-limited identifiers cannot log anyone out.
 */
export function memoryStore(options: MemoryStoreOptions = {}): KeyValueStore {
  const now = options.now ?? Date.now
  // lru-cache measures TTLs with `perf.now()`; giving it our clock keeps expiry and buckets on one time.
  const perf = { now }
  // ttlResolution 0: read the clock at every check (lru-cache otherwise reuses one reading for 1 ms).
  const sessions = new LRUCache<string, string>({
    max: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
    perf,
    ttlResolution: 0,
  })
  const counters = new LRUCache<string, number>({
    max: options.maxCounters ?? DEFAULT_MAX_COUNTERS,
    perf,
    ttlResolution: 0,
  })
  // Indexes (e.g. a user's sessions): member → time added; bounded like the sessions they list.
  const indexes = new LRUCache<string, Map<string, number>>({
    max: options.maxSessions ?? DEFAULT_MAX_SESSIONS,
    perf,
    ttlResolution: 0,
  })
  /** GETEX: the value, its lifetime restarted; null when absent. */
  const getAndExpire = (key: string, ttl: number): string | null => {
    const value = sessions.get(key)
    if (value === undefined) return null
    sessions.set(key, value, { ttl: ttl * 1000 })
    return value
  }
  return {
    kind: 'memory',
    now,
    async get(_op, key) {
      return sessions.get(key) ?? null
    },
    async getAndExpire(_op, key, ttl) {
      return getAndExpire(key, ttl)
    },
    async set(_op, key, value, { ttlSeconds: ttl, onlyIfAbsent: nx }) {
      if (nx && sessions.has(key)) return false
      sessions.set(key, value, { ttl: ttl * 1000 })
      return true
    },
    async delete(_op, key) {
      return sessions.delete(key)
    },
    async expire(_op, key, ttl) {
      return getAndExpire(key, ttl) !== null
    },
    async count(_op, { counter, expiryMs, previous }) {
      const remaining = counters.getRemainingTTL(counter)
      const count = (counters.get(counter) ?? 0) + 1
      // Like PEXPIRE NX: the first count of a bucket sets its expiry, later ones keep it.
      counters.set(counter, count, { ttl: remaining > 0 && Number.isFinite(remaining) ? remaining : expiryMs })
      return { count, previous: previous === undefined ? 0 : (counters.get(previous) ?? 0) }
    },
    async uncount(_op, counter) {
      const value = counters.get(counter)
      if (value !== undefined) counters.set(counter, value - 1, { ttl: Math.max(1, counters.getRemainingTTL(counter)) })
    },
    async index(_op, { index, member, atMs, ttlSeconds, dropBeforeMs }) {
      const entries = indexes.get(index) ?? new Map<string, number>()
      entries.set(member, atMs)
      for (const [m, at] of entries) if (at < dropBeforeMs) entries.delete(m)
      indexes.set(index, entries, { ttl: ttlSeconds * 1000 })
    },
    async unindex(_op, index, member) {
      indexes.get(index)?.delete(member)
    },
    async members(_op, index) {
      return [...(indexes.get(index)?.entries() ?? [])].sort((a, b) => a[1] - b[1]).map(([m]) => m)
    },
    async deleteMany(_op, keys) {
      let n = 0
      for (const key of keys) if (sessions.delete(key) || indexes.delete(key)) n++
      return n
    },
  }
}
