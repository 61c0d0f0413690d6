import type { Redis } from '@upstash/redis'
import { activeRedisBudget, type RedisBudget } from './budget'
import { isConnectionError, isOutcomeUnknown, redactError, RedisDisabledError, RedisOutcomeUnknownError, RedisUnavailableError } from './errors'

/** What withRedis needs of a context (RedisContext has it): the client, null when REDIS_ENABLED=false. */
export interface RedisHandle {
  redis: Redis | null
}

/**
 * Runs one helper operation against Redis: RedisDisabledError when REDIS_ENABLED=false,
 * RedisUnavailableError when Redis cannot be reached in time (RedisOutcomeUnknownError, a subclass,
 * when the command was sent and its outcome is unknown: the endpoint's 504); Redis's own errors pass through,
 * with the command's arguments (keys, values) removed from their message.
 * "In time" is REDIS_TIMEOUT_MS for the call (the client's own bound), and, under a RedisBudget (a
 * request's), what is left of it: a spent budget fails the call at once, without sending it.
 */
export async function withRedis<T>(ctx: RedisHandle, operation: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  if (!ctx.redis) throw new RedisDisabledError(operation)
  const budget = activeRedisBudget()
  if (budget && budget.remainingMs <= 0) {
    throw new RedisUnavailableError(operation, { cause: new Error(`not sent: the Redis budget of this request (${Math.round(budget.limitMs)} ms in all, REDIS_TIMEOUT_MS) is spent`) })
  }
  const end = budget?.begin()
  try {
    const call = fn(ctx.redis)
    return await (budget && Number.isFinite(budget.limitMs) ? withinBudget(call, budget) : call)
  } catch (err) {
    if (isOutcomeUnknown(err)) throw new RedisOutcomeUnknownError(operation, { cause: redactError(err) })
    if (isConnectionError(err)) throw new RedisUnavailableError(operation, { cause: redactError(err) })
    throw redactError(err)
  } finally {
    end?.()
  }
}

/**
 * The call's answer, or a TimeoutError once the budget runs out. The call itself is not aborted: with
 * auto-pipelining it may share its HTTP request with other requests' commands, which must not fail
 * with it; it ends by itself within REDIS_TIMEOUT_MS, its late answer ignored.
 */
function withinBudget<T>(call: Promise<T>, budget: RedisBudget): Promise<T> {
  const ms = Math.max(0, budget.remainingMs)
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DOMException(`no answer within what was left of this request's Redis budget (${Math.round(ms)} ms of ${Math.round(budget.limitMs)})`, 'TimeoutError')), ms)
  })
  call.catch(() => {}) // a late failure, after the budget ran out, is nobody's to handle
  return Promise.race([call, expired]).finally(() => clearTimeout(timer))
}
