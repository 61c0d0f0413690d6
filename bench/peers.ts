/**
 * The libraries `npm run bench:helpers` compares ours with, set up as their own docs recommend, on the
 * benchmark's private stack. Not for use outside the benchmark.
 *  - @upstash/ratelimit, used directly (its own @upstash/redis client, through the local endpoint);
 *  - BentoCache (npm `bentocache`) with its Redis driver (ioredis over TCP, straight to the private
 *    redis-server: Upstash serves TCP too), L2 only, or L1 (in-process memory) + L2 + its Redis bus,
 *    which its docs call for as soon as there is more than one instance (it drops other instances'
 *    L1 copies when a key is written or deleted).
 */
import { Ratelimit, type Duration } from '@upstash/ratelimit'
import { Redis } from '@upstash/redis'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis'
import { Redis as IoRedis } from 'ioredis'

export interface RestEnv {
  UPSTASH_REDIS_REST_URL: string
  UPSTASH_REDIS_REST_TOKEN: string
}

/** What the seed does and what @upstash/ratelimit's README shows: a plain client (default JSON, auto-pipelining). */
export const restClient = (env: RestEnv): Redis =>
  new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN, enableTelemetry: false })

/**
 * `new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(limit, window) })` as its README shows: analytics
 * off (its default), the default in-process cache of refused identifiers (ephemeralCache) on, a client of its own.
 */
export function upstashRatelimit(env: RestEnv, prefix: string, limit: number, windowSeconds: number): Ratelimit {
  return new Ratelimit({
    redis: restClient(env),
    limiter: Ratelimit.slidingWindow(limit, `${windowSeconds} s` as Duration),
    prefix,
  })
}

/** One BentoCache namespace, with the calls the benchmark makes. */
export interface BentoNamespace {
  getOrSet<T>(key: string, loader: () => Promise<T>, ttlSeconds: number): Promise<T>
  /** BentoCache's group invalidation: SCAN MATCH <namespace>:* and UNLINK each key (+ a bus message). */
  clear(): Promise<void>
}

/** One app instance's BentoCache: its own connections (and its own L1 when `l1`). */
export interface BentoInstance {
  namespace(name: string): BentoNamespace
  close(): Promise<void>
}

/**
 * A BentoCache instance as its multi-tier docs set it up: `bentostore().useL1Layer(memoryDriver({ maxSize: '10mb' }))
 * .useL2Layer(redisDriver(...)).useBus(redisBusDriver(...))`, or `useL2Layer` alone when `l1` is false (no
 * L1 to keep in sync, so no bus). Grace periods off (BentoCache's default), as ours serves nothing stale by default.
 */
export function bentoInstance(redisUrl: string, options: { l1: boolean; prefix: string }): BentoInstance {
  const url = new URL(redisUrl)
  const connection = {
    host: url.hostname,
    port: Number(url.port),
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  }
  const l2 = new IoRedis(redisUrl)
  l2.on('error', () => {}) // a command's own error still rejects it; this only keeps a dropped connection from crashing the process
  const store = bentostore().useL2Layer(redisDriver({ connection: l2 }))
  if (options.l1) store.useL1Layer(memoryDriver({ maxSize: '10mb' })).useBus(redisBusDriver({ connection }))
  const bento = new BentoCache({ default: 'cache', prefix: options.prefix, stores: { cache: store } })
  return {
    namespace(name) {
      const ns = bento.namespace(name)
      return {
        getOrSet: (key, loader, ttlSeconds) => ns.getOrSet({ key, factory: loader, ttl: ttlSeconds * 1000 }),
        clear: () => ns.clear(),
      }
    },
    async close() {
      await bento.disconnect()
      l2.disconnect()
    },
  }
}
