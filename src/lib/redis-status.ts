import { RedisLayerError, type RedisErrorCode } from '@/lib/upstash'

/**
 * The HTTP status the app answers for each error of the Redis layer. The layer says what happened
 * (its code); answering it is the app's business, decided here once.
 */
export const REDIS_ERROR_STATUS: Readonly<Record<RedisErrorCode, number>> = {
  // Not served in time, or not at all: retry later (routes add Retry-After).
  REDIS_UNAVAILABLE: 503,
  REDIS_OUTCOME_UNKNOWN: 503,
  REDIS_BUDGET_SPENT: 503,
  REDIS_DISABLED: 503,
  // The caller's input; the message names the field.
  REDIS_INPUT: 400,
  // The server's own configuration: nothing the caller can change.
  REDIS_CONFIG: 500,
}

/** The status for an error of the Redis layer; undefined for any other error. */
export function redisErrorStatus(err: unknown): number | undefined {
  return err instanceof RedisLayerError ? REDIS_ERROR_STATUS[err.code] : undefined
}
