/**
 * The local Upstash-compatible REST endpoint: `@upstash/redis` talks to it exactly as it talks to
 * Upstash, and it forwards to a real redis-server. Used by `scripts/upstash-local.ts`, the tests and the benchmarks.
 */
export { startEndpoint, type RunningEndpoint } from './server'
export { endpointOptionsSchema, type EndpointOptions } from './options'
export {
  startRedisServer,
  freePort,
  RedisServerMissingError,
  DEFAULT_MAX_MEMORY,
  type OwnRedisServer,
  type RedisServerOptions,
} from './redis-server'
