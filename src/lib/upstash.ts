/**
 * The Redis layer of IA Poste Manager: the one module app code imports.
 *   import { redis, cache, session, queue, sortedSet, hashMap, isRedisAvailable } from '@/lib/upstash'
 * Helpers are built on the process-wide context (env read and validated on first use, so importing
 * never throws); `create*` factories build the same helpers on another context (tests, scripts).
 */
import { defaultContext } from './redis/context'
import { health as healthOf, isRedisAvailable as isAvailable, type RedisHealth } from './redis/health'

export { redis } from './redis/client'
export { createContext, type RedisContext, type ContextSource } from './redis/context'
export { parseConfig, getConfig, ConfigError, type RedisConfig } from './redis/config'
export { RedisUnavailableError, RedisDisabledError, RedisInputError } from './redis/errors'
export type { RedisHealth }

/** true when Redis answers within REDIS_TIMEOUT_MS; never throws. */
export const isRedisAvailable = (): Promise<boolean> => isAvailable(defaultContext)
/** PING latency, or why Redis is down/disabled; never throws. */
export const health = (): Promise<RedisHealth> => healthOf(defaultContext)

// --- helpers (each line owned by its module) ---
