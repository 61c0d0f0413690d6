/**
 * Draining 'email-queue' the way analyses are drained (src/lib/services/analysis-drain.ts): by the worker
 * (runEmailWorker), right after a response (drainEmailsAfterResponse, Next's after()) and by the cron
 * route (drainEmails). Same queue, same handler, same guarantees: a job is leased, so a function killed
 * mid-send is redelivered when its lease expires (at-least-once: an e-mail may, rarely, go twice; never zero times).
 */
import { afterResponse } from '@/lib/core/after-response'
import { appConfig } from '@/lib/core/config'
import {
  drainQueue,
  oneDrainAtATime,
  outsideRedisBudget,
  type DrainCounts,
  processNext,
  queue as defaultQueue,
  runWorker,
  type JobOutcome,
  type Queue,
  type WorkerOptions,
} from '@/lib/upstash'
import { createEmailHandler, handleEmailJob, type EmailJobHandler, type EmailOutcome } from './handler'
import { EMAIL_QUEUE } from './jobs'

/** Lease per send: longer than nodemailer's connection + greeting + socket timeouts. */
export const EMAIL_VISIBILITY_MS = 60_000

/** What one drain did: the queue's counts, an acked job being an e-mail sent or a reminder dropped. */
export type EmailDrainResult = Omit<DrainCounts, 'acked'> & {
  sent: number
  /** Reminders no longer wanted (deadline moved, done, deleted…): acked, nothing sent. */
  dropped: number
}

export interface EmailDrainOptions {
  /** No job is started after this many ms from the call (a function's maxDuration minus one send). */
  deadlineMs: number
  queue?: Queue
  handler?: EmailJobHandler
}

/**
 * Sends due e-mails until none is ready or `deadlineMs` has passed. Cost: each e-mail as with the
 * worker (reserve 4 + ack 2 billed commands), plus the one empty reserve (1) that ends the run; delayed
 * jobs not yet due are never read. Never throws.
 */
export async function drainEmails(options: EmailDrainOptions): Promise<EmailDrainResult> {
  const queue = options.queue ?? defaultQueue
  const handler = options.handler ?? handleEmailJob
  let dropped = 0
  const sendOne = async (): Promise<JobOutcome<unknown>> => {
    let handled: EmailOutcome | undefined
    const outcome = await processNext(
      queue,
      EMAIL_QUEUE,
      async (data, job) => {
        handled = await handler(data, job)
      },
      { visibilityTimeoutMs: EMAIL_VISIBILITY_MS },
    )
    if (outcome.status === 'acked' && handled?.status === 'dropped') dropped++
    return outcome
  }
  const { acked, ...counts } = await drainQueue(sendOne, options.deadlineMs)
  return { ...counts, sent: acked - dropped, dropped }
}

const shared = oneDrainAtATime<EmailDrainResult>()

/** Drains now, or joins the drain this instance is running (which then looks at the queue once more). */
export function drainEmailsShared(options: EmailDrainOptions): Promise<EmailDrainResult> {
  return shared(options.deadlineMs, (deadlineMs) => drainEmails({ ...options, deadlineMs }))
}

/**
 * For whatever just queued an e-mail someone is waiting for (an invitation): sends it right after the
 * response, within ANALYSIS_DRAIN_SECONDS, kept alive by after(). Unlike analyses this is not gated by
 * ANALYSIS_AFTER_RESPONSE: the person is waiting at their mailbox and a worker polling an idle queue may
 * take up to a minute; racing the worker is safe (leases). Costs one extra empty reserve.
 * `queueFirst`: work that queues the e-mail itself after the response (a password reset, whose answer must not
 * wait on it): run once the response is sent, outside the request's Redis budget, then the drain. It
 * should not reject (a rejection is logged here, and the drain still runs).
 */
export function drainEmailsAfterResponse(queueFirst?: () => Promise<void>): void {
  const { analysisDrainMs } = appConfig()
  afterResponse(async () => {
    // Its message is not logged: that work may hold an address or a link (it should log its own failures).
    if (queueFirst)
      await outsideRedisBudget(queueFirst).catch(() =>
        console.warn('[mail] the work that queues an e-mail after the response failed; draining anyway'),
      )
    const r = await drainEmailsShared({ deadlineMs: analysisDrainMs })
    if (r.stoppedBy === 'error') console.warn(`[mail] drain after the response stopped: ${r.error}`)
  })
}

/**
 * The worker's loop for 'email-queue' (scripts/worker.ts runs it beside the analysis loop). Idle cost:
 * one empty reserve per maxIdleMs (60 s: ≤ 1 440 billed commands a day), however many reminders wait
 * delayed, since a reserve reads only jobs already due; a reminder is sent within maxIdleMs of its time.
 */
export function runEmailWorker(
  options: Omit<WorkerOptions, 'visibilityTimeoutMs'> & { queue?: Queue; handler?: EmailJobHandler },
): Promise<void> {
  const { queue = defaultQueue, handler = handleEmailJob, ...worker } = options
  return runWorker(queue, EMAIL_QUEUE, async (data, job) => void (await handler(data, job)), {
    ...worker,
    visibilityTimeoutMs: EMAIL_VISIBILITY_MS,
  })
}

export { createEmailHandler }
