import type { Redis } from '@upstash/redis'
import { activeRedisBudget, MIN_SEND_MS, type RedisBudget } from './budget'
import {
  isConnectionError,
  isOutcomeUnknown,
  redactError,
  RedisDisabledError,
  RedisOutageError,
  RedisOutcomeUnknownError,
  RedisUnavailableError,
} from './errors'

/** What withRedis needs of a context (RedisContext has it): the client, null when REDIS_ENABLED=false. */
export interface RedisHandle {
  redis: Redis | null
}

export interface WithRedisOptions {
  /**
   * Once sent, wait for the answer even past the budget, up to the client's own bound: REDIS_TIMEOUT_MS
   * per HTTP request (a script not yet loaded takes two: EVALSHA, then EVAL). For a command whose effect
   * is handed to the caller (a queue claim), an answer nobody waits for would lose it. The budget still
   * decides whether it is sent at all.
   */
  waitOnceSent?: boolean
}

/**
 * Runs ONE round trip against Redis: RedisDisabledError when REDIS_ENABLED=false,
 * RedisUnavailableError when Redis cannot be reached in time (RedisOutcomeUnknownError, a subclass,
 * when the command was sent and its outcome is unknown: the endpoint's 504, or a budget that ran out
 * while waiting); Redis's own errors pass through, with the command's arguments removed from their message.
 * "In time" is REDIS_TIMEOUT_MS for the call (the client's own bound) and, under a RedisBudget (a
 * request's or an operation's), what is left of it: a spent budget fails the call at once, unsent.
 */
/** Kept on globalThis: Next bundles this module into the proxy and into each route, one copy each, in one process. */
const FAILURE_AT = Symbol.for('iapm.redisLastFailureAt')
type WithFailure = typeof globalThis & { [FAILURE_AT]?: number }
const noteFailure = () => void ((globalThis as WithFailure)[FAILURE_AT] = Date.now())

/**
 * When this process last saw Redis fail to answer (ms since the epoch; 0: never): lets a cached
 * health answer ("up") be dropped as soon as any call here finds Redis gone.
 */
export function lastRedisFailureAt(): number {
  return (globalThis as WithFailure)[FAILURE_AT] ?? 0
}

export async function withRedis<T>(
  ctx: RedisHandle,
  operation: string,
  fn: (redis: Redis) => Promise<T>,
  options: WithRedisOptions = {},
): Promise<T> {
  if (!ctx.redis) throw new RedisDisabledError(operation)
  const budget = activeRedisBudget()
  if (budget && budget.remainingMs < MIN_SEND_MS) {
    throw new RedisUnavailableError(operation, {
      cause: new Error(
        `not sent: the Redis budget is spent (${Math.round(budget.limitMs)} ms for this request or operation; REDIS_TIMEOUT_MS bounds it)`,
      ),
    })
  }
  const end = budget?.begin()
  try {
    const call = fn(ctx.redis)
    return await (budget && Number.isFinite(budget.limitMs) && !options.waitOnceSent
      ? withinBudget(call, budget)
      : call)
  } catch (err) {
    if (err instanceof BudgetExpired)
      throw new RedisOutcomeUnknownError(operation, { cause: err, outcome: err.outcome })
    if (isOutcomeUnknown(err)) {
      noteFailure()
      throw new RedisOutcomeUnknownError(operation, { cause: redactError(err) })
    }
    if (isConnectionError(err)) {
      noteFailure()
      throw new RedisUnavailableError(operation, { cause: redactError(err) })
    }
    throw redactError(err)
  } finally {
    end?.()
  }
}

/** The budget ran out while the call was in flight; `outcome` is the call itself, still running. */
class BudgetExpired extends RedisOutageError {
  override name = 'BudgetExpired'
  readonly code = 'REDIS_BUDGET_SPENT'
  constructor(
    message: string,
    readonly outcome: Promise<unknown>,
  ) {
    super(message)
  }
}

/**
 * The call's answer, or BudgetExpired once the budget runs out. The call itself is not aborted: with
 * auto-pipelining it may share its HTTP request with other requests' commands, which must not fail
 * with it; it ends by itself within REDIS_TIMEOUT_MS.
 */
function withinBudget<T>(call: Promise<T>, budget: RedisBudget): Promise<T> {
  const ms = Math.max(0, budget.remainingMs)
  let timer: ReturnType<typeof setTimeout> | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new BudgetExpired(
            `no answer within what was left of the Redis budget (${Math.round(ms)} ms of ${Math.round(budget.limitMs)})`,
            call,
          ),
        ),
      ms,
    )
  })
  call.catch(() => {}) // a late failure, after the budget ran out, is nobody's to handle
  return Promise.race([call, expired]).finally(() => clearTimeout(timer))
}
