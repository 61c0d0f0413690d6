import { after } from 'next/server'
import { activeRedisBudget, MIN_SEND_MS, withDetachedBudget } from './budget'
import { getConfig } from './config'

/** Keeps a promise alive past the answer (Next's after() inside a request; elsewhere it just runs on). */
export type WaitUntil = (promise: Promise<unknown>) => void

/** Next's after() inside a request scope; outside one (a script, a test, the worker) it throws, and the promise just runs on. */
export function nextAfter(promise: Promise<unknown>): void {
  try {
    after(() => promise)
  } catch {
    // not inside a request scope
  }
}

export interface AfterAnswerOptions {
  /** Budget of the work (default REDIS_TIMEOUT_MS). */
  limitMs?: number
  waitUntil?: WaitUntil
  /** Where a failure goes (the work runs after the answer: nobody else can hear it). */
  onError?: (error: unknown) => void
}

/**
 * Redis work that may finish after the answer: started now, kept alive past the response (waitUntil),
 * under a budget of its own, neither eating the request's nor refused because the request spent it.
 * Never rejects.
 */
export function afterAnswer(work: () => Promise<unknown>, options: AfterAnswerOptions = {}): Promise<void> {
  const p = withDetachedBudget(options.limitMs ?? timeoutMs(), work).then(
    () => {},
    (err: unknown) => (options.onError ?? ((e) => console.warn(`[redis] work after the answer failed: ${(e as Error)?.message ?? e}`)))(err),
  )
  ;(options.waitUntil ?? nextAfter)(p)
  return p
}

/** True when the work in progress runs under a Redis budget that is spent: its next call would not be sent. */
export function redisBudgetSpent(): boolean {
  const budget = activeRedisBudget()
  return budget !== undefined && budget.remainingMs < MIN_SEND_MS
}

/**
 * A write that follows a database write and must not be dropped (a score, a profile): now, within the
 * request's budget, or after the answer when that budget is already spent.
 */
export async function nowOrAfterAnswer(work: () => Promise<void>, options: AfterAnswerOptions = {}): Promise<void> {
  if (redisBudgetSpent()) void afterAnswer(work, options)
  else await work()
}

function timeoutMs(): number {
  try {
    return getConfig().timeoutMs
  } catch {
    return 1000 // the documented default; a broken configuration is reported by the work's own calls
  }
}
