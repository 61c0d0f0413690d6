/**
 * The Redis layer of IA Poste Manager, a framework-free package (no Next, no React, nothing of the
 * app): the app imports it through src/lib/upstash.ts, which also installs Next's after() here.
 * Helpers are built on the process-wide context (env read and validated on first use, so importing
 * never throws); `create*` factories build the same helpers on another context (tests, scripts).
 */
import { defaultContext } from './core/context'
import { health as healthOf, isRedisAvailable as isAvailable, type RedisHealth } from './core/health'

export { redis, createRedisClient } from './core/client'
export { createContext, type RedisContext, type ContextSource } from './core/context'
export {
  parseConfig,
  getConfig,
  configuredTimeoutMs,
  DEFAULT_TIMEOUT_MS,
  ConfigError,
  type RedisConfig,
} from './core/config'
export {
  RedisLayerError,
  RedisOutageError,
  RedisUnavailableError,
  RedisOutcomeUnknownError,
  RedisBudgetSpent,
  RedisDisabledError,
  RedisInputError,
  type RedisErrorCode,
} from './core/errors'
export { RedisBudget, runWithRedisBudget, activeRedisBudget, waitWithinBudget, outsideRedisBudget } from './core/budget'
export {
  afterAnswer,
  nowOrAfterAnswer,
  redisBudgetSpent,
  setWaitUntil,
  type WaitUntil,
  type AfterAnswerOptions,
} from './core/background'
export { lastRedisFailureAt } from './core/run'
/** Billing: the commands each Lua script ran inside Redis, told to one listener (the app's usage meter). */
export { onScriptCommands, type ScriptCommandsListener } from './core/billing'
/** The in-process store (REDIS_ENABLED=false), for a session or rate limit given its own (e.g. with a test clock). */
export { memoryStore, type KeyValueStore, type MemoryStoreOptions } from './core/store'
/** The layer's one input validator (zod issues → one message format, RedisInputError or the class given): for app code that validates the same way. */
export { parseInput } from './core/helper-input'
export type { RedisHealth }

/** true when Redis answers within REDIS_TIMEOUT_MS; never throws. */
export const isRedisAvailable = (): Promise<boolean> => isAvailable(defaultContext)
/** PING latency, or why Redis is down/disabled; never throws. */
export const health = (): Promise<RedisHealth> => healthOf(defaultContext)

// --- helpers (each line owned by its module) ---
import { createCache } from './cache/cache'
export {
  createCache,
  type Cache,
  type CacheStore,
  type NamespacedCache,
  type CacheOptions,
  type CacheStats,
  type GetOrSetOptions,
  type CacheStatus,
  type Fetched,
} from './cache/cache'
/** JSON cache: get/set/del/exists, stampede-safe getOrSet, namespaces invalidated in one command. Never throws for Redis failures. */
export const cache = createCache(defaultContext)
import { createSession } from './kv/session'
import { createRateLimit } from './rate-limit/rate-limit'
export {
  createSession,
  SessionDataSchema,
  newSessionId,
  type Session,
  type SessionData,
  type SessionGetOptions,
  type SessionOptions,
} from './kv/session'
export {
  createRateLimit,
  type RateLimitFn,
  type RateLimitOptions,
  type RateLimitResult,
  type RateLimitFailurePolicy,
} from './rate-limit/rate-limit'
/** The sliding-window rate limit: ~1 billed command a call; the policy when Redis is down is RATE_LIMIT_FAILURE_POLICY. */
export const rateLimit = createRateLimit(defaultContext)
/** Sessions (set/get/delete/touch/create), and `session.rateLimit`, the guide's alias of `rateLimit`; in-process when REDIS_ENABLED=false. */
export const session = createSession(defaultContext, { rateLimit })
import { createQueue } from './queue/queue'
import { createSortedSet } from './kv/sorted-set'
import { createHashMap } from './kv/hash-map'
export {
  processNext,
  runWorker,
  PermanentJobError,
  type JobOutcome,
  type JobHandler,
  type ProcessOptions,
  type WorkerOptions,
} from './queue/worker'
export { drainQueue, oneDrainAtATime, type DrainCounts } from './queue/drain'
export {
  createQueue,
  DEFAULT_QUEUE_OPTIONS,
  type Queue,
  type QueueOptions,
  type QueueSettings,
  type PushOptions,
  type ReserveOptions,
  type ReservedJob,
  type Lease,
  type FailResult,
  type QueueStats,
  type DeadJob,
} from './queue/queue'
export { createSortedSet, type SortedSet, type ScoredMember } from './kv/sorted-set'
export { createHashMap, type HashMap } from './kv/hash-map'
/** Job queues: push/pop/length (FIFO) and reserve/ack/fail for at-least-once workers; throws when Redis is down or disabled. */
export const queue = createQueue(defaultContext)
/** Rankings (add/top/increment/rank/score/remove); throws when Redis is down or disabled. */
export const sortedSet = createSortedSet(defaultContext)
/** Objects in a hash, one JSON-encoded field per property; throws when Redis is down or disabled. */
export const hashMap = createHashMap(defaultContext)
