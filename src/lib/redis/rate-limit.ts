import { Ratelimit } from '@upstash/ratelimit'
import { z } from 'zod'
import { resolveContext, type ContextSource, type RedisContext } from './context'
import { isConnectionError, redactError, redactMessage, RedisInputError } from './errors'
import { memoryStoreFor, type MemoryStore } from './memory-store'

/** What to answer when Redis cannot be asked in time: let the request through (flagged) or refuse it. */
export type RateLimitFailurePolicy = 'open' | 'closed'

export interface RateLimitOptions {
  /** Overrides RATE_LIMIT_FAILURE_POLICY (default 'open') for this call. */
  onFailure?: RateLimitFailurePolicy
}

/** The answer of one `rateLimit` call. */
export interface RateLimitResult {
  /** Whether this request is within the limit (it has been counted when true). */
  allowed: boolean
  /** Requests still allowed in the sliding window after this one; 0 when refused or unknown. */
  remaining: number
  /**
   * When the current window bucket ends, in ms since the epoch (compare with Date.now(); for a
   * Retry-After header use Math.ceil((resetAt - Date.now()) / 1000)).
   */
  resetAt: number
  /** The limit applied (the one passed in). */
  limit: number
  /**
   * Set only when the answer did not come from Redis: 'unavailable' (Redis unreachable or slower
   * than REDIS_TIMEOUT_MS; `allowed` then follows the failure policy) or 'disabled'
   * (REDIS_ENABLED=false: counted in this process only).
   */
  reason?: 'unavailable' | 'disabled'
}

/** `rateLimit(identifier, limit, windowSeconds, options?)`: counts one request, 1 Redis command. */
export type RateLimitFn = (identifier: string, limit: number, windowSeconds: number, options?: RateLimitOptions) => Promise<RateLimitResult>

/** Longest window accepted: a year, far beyond any API limit, short enough to catch a ms-for-s mistake. */
export const MAX_WINDOW_SECONDS = 366 * 24 * 3600
export const MAX_IDENTIFIER_LENGTH = 512
/** Distinct (limit, window) pairs whose Ratelimit instance is kept per context. */
const MAX_LIMITERS = 100
/** Blocked identifiers remembered per limiter by @upstash/ratelimit's ephemeral cache. */
const MAX_BLOCKED_CACHED = 10_000

const argsSchema = z.object({
  identifier: z
    .string({ error: 'identifier must be a string such as `api:${userId}`' })
    .min(1, { error: 'identifier must not be empty' })
    // Any characters are fine in a Redis key (binary-safe); only size is bounded, so a header-derived
    // identifier with an odd byte cannot turn into an exception in the proxy.
    .max(MAX_IDENTIFIER_LENGTH, { error: `identifier must be at most ${MAX_IDENTIFIER_LENGTH} characters (hash longer ones)` }),
  limit: z
    .number({ error: 'limit must be a number of requests' })
    .int({ error: 'limit must be a whole number of requests' })
    .min(1, { error: 'limit must be at least 1 request' })
    .max(1_000_000_000, { error: 'limit must be at most 1e9 requests' }),
  windowSeconds: z
    .number({ error: 'windowSeconds must be a number of seconds' })
    .int({ error: 'windowSeconds must be a whole number of seconds' })
    .min(1, { error: 'windowSeconds must be at least 1 second' })
    .max(MAX_WINDOW_SECONDS, { error: `windowSeconds must be at most ${MAX_WINDOW_SECONDS} (366 days); it is in seconds, not ms` }),
  onFailure: z.enum(['open', 'closed'], { error: "options.onFailure must be 'open' or 'closed'" }).optional(),
})

/**
 * Builds `rateLimit` on a context. Algorithm: @upstash/ratelimit's sliding window (see README):
 * one atomic Lua script per call (EVALSHA), so concurrent calls from any number of instances
 * never over-admit within a bucket, and unlike a fixed window a client cannot send 2× the limit
 * around a window boundary.
 */
export function createRateLimit(source: ContextSource, options: { memory?: MemoryStore } = {}): RateLimitFn {
  return async (identifier, limit, windowSeconds, callOptions) => {
    const args = parseArgs({ identifier, limit, windowSeconds, onFailure: callOptions?.onFailure })
    const ctx = resolveContext(source)
    const windowMs = args.windowSeconds * 1000

    if (!ctx.redis) {
      const store = options.memory ?? memoryStoreFor(ctx)
      return { ...store.rateLimits.limit(args.identifier, args.limit, windowMs), limit: args.limit, reason: 'disabled' }
    }

    const policy = args.onFailure ?? ctx.config.rateLimitFailurePolicy
    const unavailable = (cause: unknown): RateLimitResult => {
      warnUnavailable(cause, policy)
      return {
        allowed: policy === 'open',
        remaining: 0,
        resetAt: (Math.floor(Date.now() / windowMs) + 1) * windowMs,
        limit: args.limit,
        reason: 'unavailable',
      }
    }
    try {
      // The `{…}` hash tag keeps the script's two keys (current and previous bucket) in one cluster slot.
      const res = await limiterFor(ctx, args.limit, args.windowSeconds).limit(`{${args.identifier}}`)
      // @upstash/ratelimit answers success:true on its own timeout: that is our policy's call instead.
      if (res.reason === 'timeout') return unavailable(new Error(`no answer within ${ctx.config.timeoutMs} ms`))
      return { allowed: res.success, remaining: res.remaining, resetAt: res.reset, limit: args.limit }
    } catch (err) {
      if (isConnectionError(err)) return unavailable(err)
      // A Redis error that is not an outage (wrong key type, script error) is a bug: fail loudly.
      throw redactError(err)
    }
  }
}

function parseArgs(input: unknown): z.infer<typeof argsSchema> {
  const parsed = argsSchema.safeParse(input)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]!
  const got = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], input)
  throw new RedisInputError(`rateLimit: ${issue.message} (got ${describe(got)})`)
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `a ${value.length}-character string` : JSON.stringify(value)
  return typeof value === 'number' ? String(value) : typeof value
}

/** A Map that forgets its oldest entry beyond `max` (the ephemeral cache must be a Map instance). */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly max: number) {
    super()
  }
  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.max) this.delete(this.keys().next().value as K)
    return super.set(key, value)
  }
}

const limiters = new WeakMap<RedisContext, Map<string, Ratelimit>>()

/**
 * One Ratelimit per (context, limit, window), reused so its ephemeral cache of blocked identifiers
 * persists between calls. Counters are per (identifier, window): the key has the window, not the limit.
 */
function limiterFor(ctx: RedisContext, limit: number, windowSeconds: number): Ratelimit {
  let byPair = limiters.get(ctx)
  if (!byPair) limiters.set(ctx, (byPair = new BoundedMap(MAX_LIMITERS)))
  const pair = `${limit}/${windowSeconds}`
  let limiter = byPair.get(pair)
  if (!limiter) {
    limiter = new Ratelimit({
      redis: ctx.redis!,
      limiter: Ratelimit.slidingWindow(limit, `${windowSeconds} s`),
      prefix: `${ctx.keys.rateLimitPrefix}:${windowSeconds}s`,
      analytics: false, // analytics would add commands to every call
      enableTelemetry: !ctx.config.disableTelemetry,
      // Remembers identifiers Redis refused until their bucket ends: those calls cost 0 commands.
      // It never admits anything Redis would refuse, so exactness across instances is kept.
      ephemeralCache: new BoundedMap<string, number>(MAX_BLOCKED_CACHED),
      // Our bound on the call; its answer (success:true, reason 'timeout') is mapped to our policy above.
      timeout: ctx.config.timeoutMs,
    })
    byPair.set(pair, limiter)
  }
  return limiter
}

let lastWarning = 0

/** One line a minute at most, so an outage is visible in the logs without flooding them. */
function warnUnavailable(cause: unknown, policy: RateLimitFailurePolicy): void {
  const now = Date.now()
  if (now - lastWarning < 60_000) return
  lastWarning = now
  const why = cause instanceof Error ? redactMessage(cause.message) : String(cause)
  console.warn(`[redis] rateLimit: Redis unavailable (${why}); failing ${policy === 'open' ? 'open (allowing, flagged)' : 'closed (refusing)'}`)
}
