import type { Redis } from '@upstash/redis'
import type { RedisContext } from './context'
import { isConnectionError, isOutcomeUnknown, redactError, RedisDisabledError, RedisOutcomeUnknownError, RedisUnavailableError } from './errors'

/**
 * Runs one helper operation against Redis: RedisDisabledError when REDIS_ENABLED=false,
 * RedisUnavailableError when Redis cannot be reached in time (RedisOutcomeUnknownError, a subclass,
 * when the command was sent and its outcome is unknown: the endpoint's 504); Redis's own errors pass through,
 * with the command's arguments (keys, values) removed from their message.
 */
export async function withRedis<T>(ctx: RedisContext, operation: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  if (!ctx.redis) throw new RedisDisabledError(operation)
  try {
    return await fn(ctx.redis)
  } catch (err) {
    if (isOutcomeUnknown(err)) throw new RedisOutcomeUnknownError(operation, { cause: redactError(err) })
    if (isConnectionError(err)) throw new RedisUnavailableError(operation, { cause: redactError(err) })
    throw redactError(err)
  }
}
