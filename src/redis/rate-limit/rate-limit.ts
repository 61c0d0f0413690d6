import { LRUCache } from 'lru-cache'
import { z } from 'zod'
import { waitForShared, withOperationBudget } from '../core/budget'
import { resolveContext, type ContextSource } from '../core/context'
import { isConnectionError, redactError, redactMessage } from '../core/errors'
import { parseInput, ttlSecondsSchema } from '../core/helper-input'
import { counterValue, type KeyValueStore } from '../core/store'

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

/**
 * `rateLimit(identifier, limit, windowSeconds, options?)`: counts one request. Billed: 1 command
 * (INCR) for an identifier under its limit; 3 for this instance's first call in a bucket (INCR,
 * PEXPIRE NX, GET of the previous bucket); 2 when refused (INCR, DECR); 0 for an identifier this
 * instance already saw refused, until it can be admitted again.
 */
export type RateLimitFn = (
  identifier: string,
  limit: number,
  windowSeconds: number,
  options?: RateLimitOptions,
) => Promise<RateLimitResult>

/** Longest identifier accepted (any characters; only size is bounded). */
export const MAX_IDENTIFIER_LENGTH = 512
/** Per-context memory of buckets this instance has seen (bounded: only a cost saving, never a decision). */
const MAX_REMEMBERED = 50_000

// One schema per argument, so an error names the argument: `rateLimit: limit: must be at least 1 request (got 0)`.
const identifierSchema = z
  .string({ error: 'must be a string such as `api:${userId}`' })
  .min(1, { error: 'must not be empty' })
  // Any characters are fine in a Redis key (binary-safe); only size is bounded, so a header-derived
  // identifier with an odd byte cannot turn into an exception in the proxy.
  .max(MAX_IDENTIFIER_LENGTH, { error: `must be at most ${MAX_IDENTIFIER_LENGTH} characters (hash a longer one)` })
const limitSchema = z
  .number({ error: 'must be a number of requests' })
  .int({ error: 'must be a whole number of requests' })
  .min(1, { error: 'must be at least 1 request' })
  .max(1_000_000_000, { error: 'must be at most 1e9 requests' })
/** The layer's one bound on lifetimes (1 s to a year, see helper-input.ts): longer is almost surely ms. */
const windowSchema = ttlSecondsSchema({ min: 1 })
const onFailureSchema = z.enum(['open', 'closed'], { error: "must be 'open' or 'closed'" }).optional()

/**
 * Builds `rateLimit` on a context. Algorithm: sliding window over two fixed buckets (as
 * @upstash/ratelimit's slidingWindow), with the same keys, in plain commands instead of a script
 * (Upstash bills a script 1 + every command inside: theirs costs 4 a call):
 *   count = INCR(current bucket) + floor(previous bucket × the share of the window it still covers).
 * INCR is atomic, so concurrent calls from any number of instances each get their own count and
 * never over-admit; a refused call gives its unit back (DECR), so refusals do not eat the budget.
 * The counter's expiry is set with PEXPIRE NX in the same round trip as the first INCR this instance
 * makes in the bucket: no crash between two calls can leave a counter without expiry (the next
 * instance to count sets it). A closed bucket no longer changes, so each instance reads it once.
 * An identifier seen refused is refused here, without Redis, until the window has slid enough to
 * admit it again (never admitting what Redis would refuse).
 * Keys (a documented contract, also in docs/helpers.md): `<prefix>:ratelimit:<window>s:{<identifier>}:<bucket>`,
 * bucket = floor(epoch ms / window ms), expiring 2 windows + 1 s after the bucket's first count: the layout
 * of @upstash/ratelimit's slidingWindow keys (`<its prefix>:<identifier>:<bucket>`) with `<prefix>:ratelimit:<window>s`
 * as its prefix and the identifier in a `{…}` hash tag (both buckets in one cluster slot).
 */
export function createRateLimit(source: ContextSource, options: { store?: KeyValueStore } = {}): RateLimitFn {
  // A call's round trips (the count, a refusal's DECR, the EXPIRE after a loss) wait REDIS_TIMEOUT_MS at
  // most together, or share the request's budget (see budget.ts).
  return async (identifier, limit, windowSeconds, callOptions) =>
    withOperationBudget(resolveContext(source).config.timeoutMs, () =>
      limitOnce(identifier, limit, windowSeconds, callOptions),
    )

  async function limitOnce(
    ...[identifier, limit, windowSeconds, callOptions]: Parameters<RateLimitFn>
  ): Promise<RateLimitResult> {
    const args = {
      identifier: parseInput(identifierSchema, identifier, 'rateLimit: identifier'),
      limit: parseInput(limitSchema, limit, 'rateLimit: limit'),
      windowSeconds: parseInput(windowSchema, windowSeconds, 'rateLimit: windowSeconds'),
      onFailure: parseInput(onFailureSchema, callOptions?.onFailure, 'rateLimit: options.onFailure'),
    }
    const ctx = resolveContext(source)
    const windowMs = args.windowSeconds * 1000
    // REDIS_ENABLED=false: the same algorithm on this process's memory, every answer flagged.
    const store = options.store ?? ctx.store
    const flag = store.kind === 'memory' ? ({ reason: 'disabled' } as const) : {}

    const now = store.now()
    const bucket = Math.floor(now / windowMs)
    const resetAt = (bucket + 1) * windowMs
    const base = `${ctx.keys.rateLimitPrefix}:${args.windowSeconds}s:{${args.identifier}}`
    const state = stateFor(store)
    const blockedKey = `${base}|${args.limit}`
    const blockedUntil = state.blocked.get(blockedKey)
    if (blockedUntil !== undefined && now < blockedUntil)
      return { allowed: false, remaining: 0, resetAt, limit: args.limit, ...flag }

    const policy = args.onFailure ?? ctx.config.rateLimitFailurePolicy
    try {
      const current = `${base}:${bucket}`
      const previous = `${base}:${bucket - 1}`
      const counted = await count(store, state, { current, previous, ttlMs: 2 * windowMs + 1000 })
      // The share of the previous bucket the sliding window still covers.
      const weight = 1 - (now - bucket * windowMs) / windowMs
      const carried = Math.floor(counted.previous * weight)
      const total = carried + counted.current
      if (total <= args.limit)
        return { allowed: true, remaining: args.limit - total, resetAt, limit: args.limit, ...flag }
      // Refused: give the unit back, and remember until when this identifier cannot be admitted.
      await store.uncount('rateLimit', current).catch(() => {})
      state.blocked.set(
        blockedKey,
        admissibleAgainAt({
          previous: counted.previous,
          current: counted.current - 1,
          limit: args.limit,
          bucket,
          windowMs,
        }),
      )
      return { allowed: false, remaining: 0, resetAt, limit: args.limit, ...flag }
    } catch (err) {
      if (isConnectionError(err)) {
        warnUnavailable(err, policy)
        return { allowed: policy === 'open', remaining: 0, resetAt, limit: args.limit, reason: 'unavailable' }
      }
      // A Redis error that is not an outage (e.g. a key of another type) is a bug: fail loudly.
      throw redactError(err)
    }
  }
}

interface LimiterState {
  /** Counter keys this instance has given an expiry (or is giving one: see setups). */
  expiring: LRUCache<string, true>
  /** Final counts of closed buckets. */
  closed: LRUCache<string, number>
  /** identifier+limit → epoch ms before which it is refused without asking Redis. */
  blocked: LRUCache<string, number>
  /**
   * A bucket's set-up (PEXPIRE NX + GET of the previous bucket) in flight, by counter key: calls made
   * meanwhile count with a plain INCR and take the previous bucket from it, so a burst pays the set-up once.
   */
  setups: Map<string, Promise<number>>
}

const states = new WeakMap<KeyValueStore, LimiterState>()

function stateFor(store: KeyValueStore): LimiterState {
  let state = states.get(store)
  if (!state) {
    state = {
      expiring: new LRUCache({ max: MAX_REMEMBERED }),
      closed: new LRUCache({ max: MAX_REMEMBERED }),
      blocked: new LRUCache({ max: MAX_REMEMBERED }),
      setups: new Map(),
    }
    states.set(store, state)
  }
  return state
}

/**
 * Counts one request in the current bucket and reads what the sliding window needs, in one round
 * trip: INCR alone when this instance knows the previous bucket and has set (or is setting) the
 * counter's expiry; otherwise pipelined with PEXPIRE … NX and GET of the previous bucket.
 */
async function count(
  store: KeyValueStore,
  state: LimiterState,
  { current, previous, ttlMs }: { current: string; previous: string; ttlMs: number },
): Promise<{ current: number; previous: number }> {
  const knownPrevious = state.closed.get(previous)
  const setup = state.setups.get(current)
  if (state.expiring.has(current) && (knownPrevious !== undefined || setup)) {
    // The set-up in flight is another call's (on its budget): waited for within ours, else the previous
    // bucket is read here (1 command), so that call's budget running out never fails this one.
    const previousCount =
      knownPrevious ??
      waitForShared(setup!).catch(async () =>
        counterValue((await store.get('rateLimit', previous)) ?? 0, 'GET of the previous bucket'),
      )
    const [counted, prev] = await Promise.all([
      store.count('rateLimit', { counter: current, setExpiry: false, expiryMs: ttlMs }),
      previousCount,
    ])
    // INCR answered 1, so the counter did not exist although this instance had given it an
    // expiry: Redis lost it (restarted empty, flushed, evicted) and this INCR re-created it without one,
    // a key that would never expire. Give it its expiry now (EXPIRE: 1 command, only after such a loss);
    // if that fails, forget the setup so the next call sends PEXPIRE NX again.
    if (counted.count === 1 && store.kind === 'redis') {
      const ok = await store.expire('rateLimit', current, Math.ceil(ttlMs / 1000)).catch(() => false)
      if (!ok) state.expiring.delete(current)
    }
    return { current: counted.count, previous: prev }
  }
  state.expiring.set(current, true)
  const pending = store.count('rateLimit', { counter: current, setExpiry: true, expiryMs: ttlMs, previous })
  const prevOf = pending.then((c) => c.previous)
  prevOf.catch(() => {}) // its failure reaches this call's caller; the waiting calls see it through their own await
  state.setups.set(current, prevOf)
  try {
    const counted = await pending
    state.closed.set(previous, counted.previous)
    return { current: counted.count, previous: counted.previous }
  } catch (err) {
    // Not set up after all: the next call does it again (a counter must never be left without expiry).
    state.expiring.delete(current)
    throw err
  } finally {
    state.setups.delete(current)
  }
}

/**
 * When a refused identifier can next be admitted: once carried + current < limit, i.e. when the
 * previous bucket's weight has dropped enough, or at the next bucket, whichever comes first.
 */
function admissibleAgainAt({
  previous,
  current,
  limit,
  bucket,
  windowMs,
}: {
  previous: number
  current: number
  limit: number
  bucket: number
  windowMs: number
}): number {
  const start = bucket * windowMs
  const nextBucket = start + windowMs
  if (current >= limit || previous <= 0) return nextBucket
  // floor(previous × (1 − e/W)) + current + 1 ≤ limit  ⇐  previous × (1 − e/W) ≤ limit − current − 1
  const elapsed = windowMs * (1 - (limit - current - 1) / previous)
  return Math.min(nextBucket, start + Math.max(0, Math.ceil(elapsed)))
}

let lastWarning = 0

/** One line a minute at most, so an outage is visible in the logs without flooding them. */
function warnUnavailable(cause: unknown, policy: RateLimitFailurePolicy): void {
  const now = Date.now()
  if (now - lastWarning < 60_000) return
  lastWarning = now
  const why = cause instanceof Error ? redactMessage(cause.message) : String(cause)
  console.warn(
    `[redis] rateLimit: Redis unavailable (${why}); failing ${policy === 'open' ? 'open (allowing, flagged)' : 'closed (refusing)'}`,
  )
}
