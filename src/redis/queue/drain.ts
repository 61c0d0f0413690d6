/**
 * Draining a queue without a long-running worker (after a response, from a cron route): process jobs one
 * at a time until none is ready or the time is up. Serverless hosts have no worker process: the request
 * that queued a job, or a cron route, drains with this loop (the app's analyses and e-mails do).
 */
import { outsideRedisBudget } from '../core/budget'
import type { JobOutcome } from './worker'

/** What one drain did. */
export interface DrainCounts {
  /** Jobs taken and finished one way or another (acked + retried + failed + leaseLost). */
  processed: number
  acked: number
  /** Failed attempts that will be retried after their backoff. */
  retried: number
  /** Dead-lettered: out of attempts, or a permanent failure. */
  failed: number
  /** Jobs whose lease expired while they ran (another run took them over). */
  leaseLost: number
  /** 'empty': no job ready was left; 'budget': time ran out with jobs maybe left; 'error': Redis failed. */
  stoppedBy: 'empty' | 'budget' | 'error'
  error?: string
  durationMs: number
}

/**
 * Calls `next` (one job: reserve → handle → ack or fail) until it finds the queue empty or `budgetMs`
 * has passed; no job is started after that. Each queue call has a Redis budget of its own, whatever
 * request started the drain. Never throws: a Redis failure ends the drain with `stoppedBy: 'error'`.
 */
export function drainQueue(next: () => Promise<JobOutcome<unknown>>, budgetMs: number): Promise<DrainCounts> {
  return outsideRedisBudget(async () => {
    const started = performance.now()
    const result: DrainCounts = {
      processed: 0,
      acked: 0,
      retried: 0,
      failed: 0,
      leaseLost: 0,
      stoppedBy: 'budget',
      durationMs: 0,
    }
    while (performance.now() - started < budgetMs) {
      let outcome: JobOutcome<unknown>
      try {
        outcome = await next()
      } catch (err) {
        result.stoppedBy = 'error'
        result.error = (err as Error)?.message ?? String(err)
        break
      }
      if (outcome.status === 'empty') {
        result.stoppedBy = 'empty'
        break
      }
      result.processed++
      if (outcome.status === 'acked') result.acked++
      else if (outcome.status === 'retry') result.retried++
      else if (outcome.status === 'dead') result.failed++
      else result.leaseLost++
    }
    result.durationMs = Math.round(performance.now() - started)
    return result
  })
}

/**
 * One drain at a time per instance and queue: a call arriving while one runs asks it for one more look
 * at the queue instead of starting its own (which would each end on a billed empty reserve).
 * Returns the function to call with the time allowed and the drain to run in it.
 */
export function oneDrainAtATime<R extends { stoppedBy: DrainCounts['stoppedBy'] }>() {
  let running: Promise<R> | undefined
  let again = false
  return (budgetMs: number, drain: (budgetMs: number) => Promise<R>): Promise<R> => {
    if (running) {
      again = true
      return running
    }
    const deadline = performance.now() + budgetMs
    running = (async () => {
      let last: R
      do {
        again = false
        last = await drain(Math.max(0, deadline - performance.now()))
      } while (again && last.stoppedBy === 'empty' && performance.now() < deadline)
      return last
    })().finally(() => {
      running = undefined
    })
    return running
  }
}
