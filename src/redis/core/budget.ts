import { AsyncLocalStorage } from 'node:async_hooks'
import { RedisBudgetSpent } from './errors'

/**
 * How long a unit of work (one HTTP request, one helper operation) may wait on Redis in total.
 *
 * Why: REDIS_TIMEOUT_MS bounds one call, but a request makes several in sequence (session, rate
 * limit, cache read, cache write…). When Redis turns slow or goes dark in the middle of a request,
 * each call waiting its full timeout would add up to several times the bound the operator set. A
 * budget makes the bound hold for the whole request: calls wait at most what is left of it, and once
 * it is spent the next call fails at once, without being sent, as an outage (so the cache falls back
 * to the database, the rate limiter applies its failure policy, a session lookup answers 503).
 *
 * Only time spent waiting on Redis counts (parallel calls count once), not the database or the
 * page's own work: a slow database never makes a healthy Redis look unavailable.
 */
export class RedisBudget {
  #spent = 0
  #waiting = 0
  #since = 0

  /** @param limitMs the total wait allowed, in milliseconds (REDIS_TIMEOUT_MS for a request). */
  constructor(readonly limitMs: number) {}

  /** Milliseconds spent waiting on Redis so far (the wait in progress included). */
  get spentMs(): number {
    return this.#spent + (this.#waiting > 0 ? performance.now() - this.#since : 0)
  }

  /** Milliseconds the next call may still wait; 0 or less when the budget is spent. */
  get remainingMs(): number {
    return this.limitMs - this.spentMs
  }

  /** Marks one call as waiting; the returned function marks its end (idempotent). */
  begin(): () => void {
    if (this.#waiting++ === 0) this.#since = performance.now()
    let ended = false
    return () => {
      if (ended) return
      ended = true
      if (--this.#waiting === 0) this.#spent += performance.now() - this.#since
    }
  }
}

const active = new AsyncLocalStorage<RedisBudget>()

/**
 * Below this much budget a call is not sent: an answer within it is unlikely, and a command sent only
 * to be abandoned may still act (a lock nobody releases).
 */
export const MIN_SEND_MS = 20

/** Runs `fn` with `budget` bounding every Redis call made inside it, however deep (AsyncLocalStorage). */
export function runWithRedisBudget<T>(budget: RedisBudget, fn: () => T): T {
  return active.run(budget, fn)
}

/** The budget of the work in progress, if any (none in a script, a worker loop, or a test calling a helper directly). */
export function activeRedisBudget(): RedisBudget | undefined {
  return active.getStore()
}

/**
 * Runs a helper operation that makes several Redis calls (cache.getOrSet, rateLimit…) under one
 * budget of `limitMs`, unless it already runs under one (a request's): so an operation called on
 * its own waits at most REDIS_TIMEOUT_MS in total, and inside a request it shares the request's.
 */
export function withOperationBudget<T>(limitMs: number, fn: () => Promise<T>): Promise<T> {
  return activeRedisBudget() ? fn() : runWithRedisBudget(new RedisBudget(limitMs), fn)
}

/**
 * Runs `fn` outside any budget: long background work (draining a queue after the answer) whose every
 * operation then gets a budget of its own, instead of inheriting the spent one of the request that started it.
 */
export function outsideRedisBudget<T>(fn: () => T): T {
  return active.exit(fn)
}

/**
 * Runs background work (a stale entry's refresh after the answer went out) under a budget of its
 * own: it must neither eat the request's budget nor be refused because the request spent it.
 */
export function withDetachedBudget<T>(limitMs: number, fn: () => Promise<T>): Promise<T> {
  return runWithRedisBudget(new RedisBudget(limitMs), fn)
}

/**
 * Waits `ms` as part of Redis work (a retry's back-off, polling for another instance's cache fill):
 * counted in the active budget like a call's wait, and cut short when the budget runs out. Resolves
 * false when the budget is spent (stop retrying or polling), true otherwise.
 */
export async function waitWithinBudget(ms: number): Promise<boolean> {
  const budget = activeRedisBudget()
  if (!budget || !Number.isFinite(budget.limitMs)) {
    await sleep(ms)
    return true
  }
  const left = budget.remainingMs
  if (left <= 0) return false
  const end = budget.begin()
  try {
    await sleep(Math.min(ms, left))
  } finally {
    end()
  }
  return budget.remainingMs > 0
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Waits for a promise that other work owns (a cache load another request started, a rate-limit
 * bucket set-up in flight), within the active budget, the wait counted in it: a caller never waits on
 * someone else's budget instead of its own. Rejects with RedisBudgetSpent when its own runs out.
 */
export async function waitForShared<T>(shared: Promise<T>): Promise<T> {
  const budget = activeRedisBudget()
  if (!budget || !Number.isFinite(budget.limitMs)) return shared
  if (budget.remainingMs < MIN_SEND_MS)
    throw new RedisBudgetSpent('the Redis budget was spent before waiting on shared work')
  const ms = budget.remainingMs
  const end = budget.begin()
  let timer: ReturnType<typeof setTimeout> | undefined
  shared.catch(() => {}) // its owner handles its failure
  try {
    return await Promise.race([
      shared,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new RedisBudgetSpent(
                `no result of the shared work within what was left of the Redis budget (${Math.round(ms)} ms)`,
              ),
            ),
          ms,
        )
      }),
    ])
  } finally {
    clearTimeout(timer)
    end()
  }
}
