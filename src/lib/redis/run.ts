import type { Redis } from '@upstash/redis'
import type { RedisContext } from './context'
import { isConnectionError, redactError, RedisDisabledError, RedisUnavailableError } from './errors'

/**
 * Runs one helper operation against Redis: RedisDisabledError when REDIS_ENABLED=false,
 * RedisUnavailableError when Redis cannot be reached in time; Redis's own errors pass through,
 * with the command's arguments (keys, values) removed from their message.
 */
export async function withRedis<T>(ctx: RedisContext, operation: string, fn: (redis: Redis) => Promise<T>): Promise<T> {
  if (!ctx.redis) throw new RedisDisabledError(operation)
  try {
    return await fn(ctx.redis)
  } catch (err) {
    if (isConnectionError(err)) throw new RedisUnavailableError(operation, { cause: redactError(err) })
    throw redactError(err)
  }
}
