import { Redis } from '@upstash/redis'
import { getConfig, type RedisConfig } from './config'
import { RedisDisabledError } from './errors'
import { markTransportStatus } from './transport'

/**
 * Builds an @upstash/redis client with this project's bounds: every call is capped by
 * REDIS_TIMEOUT_MS (retries included) and network errors are retried at most REDIS_RETRIES times.
 */
export function createRedisClient(config: RedisConfig, options: { automaticDeserialization?: boolean } = {}): Redis {
  if (!config.url || !config.token) {
    throw new Error(
      'Redis is not configured: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN (or KV_REST_API_URL and KV_REST_API_TOKEN), or REDIS_ENABLED=false',
    )
  }
  // Its 502/503/504 answers keep their status for the error classifier (see transport.ts).
  markTransportStatus(config.url)
  return new Redis({
    url: config.url,
    token: config.token,
    enableTelemetry: !config.disableTelemetry,
    automaticDeserialization: options.automaticDeserialization ?? true,
    // A function, so each request gets a fresh timer and an abort throws (a plain signal would resolve "Aborted").
    signal: () => AbortSignal.timeout(config.timeoutMs),
    retry: { retries: config.retries, backoff: (attempt) => Math.min(25 * 2 ** attempt, 200) },
  })
}

let publicClient: Redis | undefined

/**
 * The app-facing client (`redis` in the package's entry), with @upstash/redis's usual JSON (de)serialisation.
 * REDIS_ENABLED=false throws RedisDisabledError, as the helpers do: the raw client must not reach Redis
 * behind a deliberately disabled layer (nor blame a missing URL).
 */
export function getRedis(): Redis {
  const config = getConfig()
  if (!config.enabled) throw new RedisDisabledError('redis')
  publicClient ??= createRedisClient(config)
  return publicClient
}

/**
 * `redis`, created on first use so that importing the package never throws (e.g. during `next build`);
 * a missing variable is reported at the first call instead, naming the variable.
 */
export const redis: Redis = new Proxy({} as Redis, {
  get(_target, prop) {
    const client = getRedis()
    const value = Reflect.get(client, prop, client) as unknown
    return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(client) : value
  },
})
