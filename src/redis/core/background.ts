import { activeRedisBudget, MIN_SEND_MS, withDetachedBudget } from './budget'
import { configuredTimeoutMs } from './config'

/**
 * Keeps a promise alive past the answer: a serverless platform freezes a function once it has
 * answered, so work after the answer must be handed to it (Next's `after()`, Vercel's or
 * Cloudflare's `waitUntil`). The package imports no framework: the app's entry installs one.
 */
export type WaitUntil = (promise: Promise<unknown>) => void

/** Kept on globalThis: Next may load this module more than once in one process (the proxy's bundle, each route's). */
const WAIT_UNTIL = Symbol.for('iapm.redis.waitUntil')
type WithWaitUntil = typeof globalThis & { [WAIT_UNTIL]?: WaitUntil }

/**
 * Installs the process-wide waitUntil the layer hands its work after the answer to (undefined
 * removes it). Called once by the app's entry (src/lib/upstash.ts, with Next's after()); without
 * one (a script, a test, the worker) such work simply runs on in this process.
 */
export function setWaitUntil(waitUntil: WaitUntil | undefined): void {
  const g = globalThis as WithWaitUntil
  if (waitUntil) g[WAIT_UNTIL] = waitUntil
  else delete g[WAIT_UNTIL]
}

/** Hands `promise` to the installed waitUntil, read at each call (helpers are built before the entry installs it). */
export function defaultWaitUntil(promise: Promise<unknown>): void {
  ;(globalThis as WithWaitUntil)[WAIT_UNTIL]?.(promise)
}

export interface AfterAnswerOptions {
  /** Budget of the work (default REDIS_TIMEOUT_MS). */
  limitMs?: number
  /** Overrides the installed waitUntil for this work. */
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
  const p = withDetachedBudget(options.limitMs ?? configuredTimeoutMs(), work).then(
    () => {},
    (err: unknown) =>
      (options.onError ?? ((e) => console.warn(`[redis] work after the answer failed: ${(e as Error)?.message ?? e}`)))(
        err,
      ),
  )
  ;(options.waitUntil ?? defaultWaitUntil)(p)
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
