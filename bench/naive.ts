/**
 * The seed's naive helpers, written the way its guide implies, through a plain @upstash/redis client:
 * the baseline `npm run bench:helpers` compares ours with. Not for use outside the benchmark.
 */
import type { Redis } from '@upstash/redis'

export interface NaiveRateLimitResult {
  allowed: boolean
  count: number
}

export interface NaiveHelpers {
  /**
   * Fixed window started by the first request: INCR, then EXPIRE when the count is 1 (2 commands
   * on a window's first call, 1 after). `crashAfterIncr` throws between the two, as a process that
   * dies there would: the key is left without a TTL.
   */
  rateLimitIncrExpire(
    identifier: string,
    limit: number,
    windowSeconds: number,
    options?: { crashAfterIncr?: boolean },
  ): Promise<NaiveRateLimitResult>
  /** Check-then-act: GET the count, refuse at the limit, else INCR (+ EXPIRE on 1). Not atomic. */
  rateLimitGetThenIncr(identifier: string, limit: number, windowSeconds: number): Promise<NaiveRateLimitResult>
  /** Read-through cache without single-flight: GET, on a miss call the loader and SET EX. */
  getOrSet<T>(key: string, loader: () => Promise<T>, ttlSeconds: number): Promise<T>
  /** LPUSH. */
  push(name: string, data: unknown): Promise<void>
  /** RPOP: the job leaves Redis as it is taken (at-most-once). */
  pop<T>(name: string): Promise<T | null>
  /** The key a rate-limit identifier is counted under (to inspect its TTL). */
  rateLimitKey(identifier: string): string
}

/** Naive helpers on `redis` (a client with @upstash/redis's default JSON (de)serialisation), keys under `prefix`. */
export function createNaiveHelpers(redis: Redis, prefix: string): NaiveHelpers {
  const rateLimitKey = (identifier: string) => `${prefix}:ratelimit:${identifier}`
  return {
    rateLimitKey,

    async rateLimitIncrExpire(identifier, limit, windowSeconds, options = {}) {
      const key = rateLimitKey(identifier)
      const count = await redis.incr(key)
      if (options.crashAfterIncr) throw new Error('simulated crash between INCR and EXPIRE')
      if (count === 1) await redis.expire(key, windowSeconds)
      return { allowed: count <= limit, count }
    },

    async rateLimitGetThenIncr(identifier, limit, windowSeconds) {
      const key = rateLimitKey(identifier)
      const current = Number((await redis.get<number>(key)) ?? 0)
      if (current >= limit) return { allowed: false, count: current }
      const count = await redis.incr(key)
      if (count === 1) await redis.expire(key, windowSeconds)
      return { allowed: true, count }
    },

    async getOrSet<T>(key: string, loader: () => Promise<T>, ttlSeconds: number) {
      const full = `${prefix}:cache:${key}`
      const cached = await redis.get<T>(full)
      if (cached !== null) return cached
      const fresh = await loader()
      await redis.set(full, fresh, { ex: ttlSeconds })
      return fresh
    },

    async push(name, data) {
      await redis.lpush(`${prefix}:queue:${name}`, data)
    },

    async pop<T>(name: string) {
      return redis.rpop<T>(`${prefix}:queue:${name}`)
    },
  }
}
