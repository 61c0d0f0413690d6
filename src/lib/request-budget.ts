import { getConfig, RedisBudget, runWithRedisBudget } from '@/lib/upstash'

/**
 * One request's Redis budget, from the proxy to the route, page or server action: all the Redis
 * calls a request makes wait REDIS_TIMEOUT_MS at most together (see src/lib/redis/budget.ts), so a
 * request stays within that bound even when Redis turns slow or dark half-way through it.
 *
 * The proxy spends part of it (session, rate limit) and passes what it spent in this header, which it
 * sets on every request it forwards (a client-sent copy is overwritten). A relative figure, not a
 * deadline: no clock has to agree with another.
 */
export const REDIS_SPENT_HEADER = 'x-iapm-redis-spent-ms'

/** A fresh budget of REDIS_TIMEOUT_MS (the proxy's, at the start of a request). */
export function newRequestBudget(): RedisBudget {
  return new RedisBudget(timeoutMs())
}

/** The header value for what `budget` has spent (whole ms, rounded up). */
export function spentHeaderValue(budget: RedisBudget): string {
  return String(Math.ceil(budget.spentMs))
}

/**
 * Runs a route, page or action's work under what the proxy left of the request's budget. A missing
 * or unreadable header counts as nothing spent; the budget never exceeds REDIS_TIMEOUT_MS.
 */
export function withRequestBudget<T>(headers: Pick<Headers, 'get'>, fn: () => Promise<T>): Promise<T> {
  return runWithRedisBudget(budgetLeft(headers), fn)
}

/** What the proxy left of the request's budget, as a budget of its own. */
export function budgetLeft(headers: Pick<Headers, 'get'>): RedisBudget {
  const total = timeoutMs()
  const spent = Number(headers.get(REDIS_SPENT_HEADER))
  return new RedisBudget(Number.isFinite(spent) && spent > 0 ? Math.max(0, total - spent) : total)
}

/** REDIS_TIMEOUT_MS; a broken Redis configuration is reported by the first Redis call, not by every request. */
function timeoutMs(): number {
  try {
    return getConfig().timeoutMs
  } catch {
    return Number.POSITIVE_INFINITY
  }
}
