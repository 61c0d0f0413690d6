import { parseInput, queue as defaultQueue, type Queue } from '@/lib/upstash'
import { EMAIL_QUEUE, emailJobSchema, type EmailJob } from './jobs'

/**
 * Putting e-mails on 'email-queue' (the guide's `queue.push('email-queue', { to, subject, template })`),
 * validated first so a malformed job is refused at the push, not dead-lettered later. A push is 2 billed
 * commands whether the job is due now or in a year: a delayed job is a sorted-set entry the idle
 * worker's one-command empty reserve never reads (it asks only for jobs already due), so waiting costs nothing.
 */

/** Retries of one e-mail: 1 min, 2, 4, 8, 16 → about half an hour of SMTP outage before the dead letters. */
export const EMAIL_RETRY = { maxAttempts: 6, backoffMs: 60_000 } as const

export interface OutboxDeps {
  queue?: Queue
  /** Override the retry policy (tests use a short backoff). */
  retry?: { maxAttempts: number; backoffMs: number }
}

export interface EnqueueOptions {
  /** Idempotent id: pushing an id still queued does nothing. */
  jobId?: string
  /** Send this many ms from now. */
  delayMs?: number
}

export interface Outbox {
  enqueue(job: EmailJob, options?: EnqueueOptions): Promise<string>
}

export function createOutbox(deps: OutboxDeps = {}): Outbox {
  const queue = deps.queue ?? defaultQueue
  const retry = deps.retry ?? EMAIL_RETRY
  return {
    async enqueue(job, options = {}) {
      const data = parseInput(emailJobSchema, job, `${EMAIL_QUEUE}: job`)
      return queue.push(EMAIL_QUEUE, data, {
        jobId: options.jobId,
        delayMs: options.delayMs && options.delayMs > 0 ? Math.round(options.delayMs) : undefined,
        ...retry,
      })
    },
  }
}

/** The process's outbox, on the process-wide queue. */
export const outbox: Outbox = createOutbox()
