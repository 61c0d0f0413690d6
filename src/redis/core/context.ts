import type { Redis } from '@upstash/redis'
import { createRedisClient } from './client'
import { getConfig, parseConfig, type RedisConfig } from './config'
import { createKeys, type Keys } from './keys'
import { memoryStore, redisStore, type KeyValueStore } from './store'

/**
 * What every helper runs against: the validated config, the key builder and, when REDIS_ENABLED
 * is not false, a raw @upstash/redis client (no automatic deserialisation: helpers encode values
 * themselves, so a cached string "123" comes back as the string "123").
 */
export interface RedisContext {
  config: RedisConfig
  keys: Keys
  /** null when REDIS_ENABLED=false. */
  redis: Redis | null
  /**
   * Where sessions and rate limits live, chosen once: Redis, or this process's memory when
   * REDIS_ENABLED=false (single instance; the helpers flag their answers so).
   */
  store: KeyValueStore
}

/** A context for a given environment (tests use this to point helpers at another endpoint). */
export function createContext(env: Record<string, string | undefined> | RedisConfig = process.env): RedisContext {
  const config = 'keyPrefix' in env ? (env as RedisConfig) : parseConfig(env as Record<string, string | undefined>)
  const ctx = {
    config,
    keys: createKeys(config.keyPrefix),
    redis: config.enabled ? createRedisClient(config, { automaticDeserialization: false }) : null,
  } as RedisContext
  ctx.store = ctx.redis ? redisStore(ctx) : memoryStore()
  return ctx
}

let defaultCtx: RedisContext | undefined

/** The process-wide context, built from process.env on first use. */
export function defaultContext(): RedisContext {
  if (!defaultCtx) {
    const config = getConfig()
    defaultCtx = createContext(config)
    if (!config.enabled) {
      console.warn(
        '[redis] REDIS_ENABLED=false: cache bypassed, sessions and rate limits kept in this process only (single instance), queues unavailable',
      )
    }
  }
  return defaultCtx
}

/** Helpers take either a context or a function returning one (resolved at each call, so import never throws). */
export type ContextSource = RedisContext | (() => RedisContext)

export function resolveContext(source: ContextSource): RedisContext {
  return typeof source === 'function' ? source() : source
}
