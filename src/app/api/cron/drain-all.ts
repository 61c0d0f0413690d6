import { createHash, timingSafeEqual } from 'node:crypto'
import type { NextRequest } from 'next/server'
import { createReminders, type Reminders } from '@/lib/mail/reminders'
import { drainShared } from '@/lib/services/analysis-drain'
import { aiPipeline } from '@/lib/services/analyses'
import { appConfig } from '@/lib/core/config'
import { drainEmails, type EmailDrainResult } from '@/lib/mail/drain'
import { prisma } from '@/lib/core/prisma'
import { withPublic } from '@/lib/request/api'

/**
 * What the cron routes run (GET /api/cron/drain, and GET /api/cron/analysis, its first name, which
 * vercel.json and older deployments call): everything a serverless deployment has no worker for.
 *   1. analyses: drains 'ai-analysis-queue' (at most ANALYSIS_DRAIN_SECONDS, and never into the slice kept
 *      for e-mail), then reconciles analyses stuck pending (dead letters → FAILED, lost jobs pushed again);
 *   2. reminders: reconcileReminders() queues those not queued yet (a push that failed, an offset that
 *      came within the queue's 365-day reach): a database query, free while nothing is pending;
 *   3. e-mail: drains 'email-queue' (reminders now due, invitations and resets an after() did not send)
 *      until it is empty or the function's time (maxDuration, minus one send) is up.
 * `Authorization: Bearer $CRON_SECRET` (what Vercel sends), compared in constant time, before any Redis
 * call: a caller without it costs nothing. An idle run costs 2 billed commands (one empty reserve per
 * queue; reconciling is free unless something is stuck), plus the usage meter's one HINCRBY.
 * → 200 { processed, done, retried, failed, remaining, pending, reconciled, stoppedBy,   (analyses, as before)
 *         reminders: { queued }, emails: { processed, sent, dropped, retried, failed, leaseLost, stoppedBy },
 *         durationMs }; 503 when Redis failed.
 */

/** The routes' maxDuration in ms (both export `maxDuration = 60`; Next needs the literal in each route file). */
export const CRON_MAX_DURATION_MS = 60_000
/** Kept for the e-mail drain whatever the analyses take: busy analyses never starve reminders. */
export const EMAIL_SLICE_MS = 15_000
/** No e-mail is started this close to maxDuration: room for one SMTP send (a killed send is redelivered anyway). */
export const ONE_SEND_MS = 5_000

/** Analyses pending for longer than this are checked against Redis (dead letters, lost pushes). */
const STALE_AFTER_MS = 10 * 60_000

let reminders: Reminders | undefined

export const cronDrainAll: (request: NextRequest) => Promise<Response> = withPublic(async ({ request }) => {
  const { cronSecret, production, analysisDrainMs } = appConfig()
  if (!cronSecret && production) {
    return Response.json(
      {
        error:
          'CRON_SECRET is not set: this route refuses to run in production without it (set it in the host environment, e.g. `vercel env add CRON_SECRET`)',
      },
      { status: 503 },
    )
  }
  if (cronSecret && !bearerMatches(request.headers.get('authorization'), cronSecret)) {
    return Response.json(
      { error: 'unauthorized: send Authorization: Bearer <CRON_SECRET>' },
      { status: 401, headers: { 'www-authenticate': 'Bearer' } },
    )
  }

  const started = performance.now()
  const elapsed = () => performance.now() - started
  const analysisBudgetMs = Math.min(analysisDrainMs, CRON_MAX_DURATION_MS - EMAIL_SLICE_MS)

  // 1. Analyses.
  let drained = await drainShared({ budgetMs: analysisBudgetMs })
  const pipeline = aiPipeline()
  // Only what the drain left to its successor costs anything here.
  const reconciled = drained.stoppedBy === 'error' ? null : await pipeline.reconcile({ staleAfterMs: STALE_AFTER_MS })
  const left = analysisBudgetMs - elapsed()
  if (reconciled?.repushed && left > 0) {
    // Jobs lost with Redis's data are queued again: run them now rather than at the next cron.
    const more = await drainShared({ budgetMs: left })
    drained = {
      ...more,
      processed: drained.processed + more.processed,
      done: drained.done + more.done,
      retried: drained.retried + more.retried,
      failed: drained.failed + more.failed,
      leaseLost: drained.leaseLost + more.leaseLost,
    }
  }
  const remaining =
    drained.stoppedBy === 'empty' && !reconciled?.repushed ? 0 : await pipeline.waiting().catch(() => null)
  const pending = await pipeline.pendingCount()

  // 2. Reminders not queued yet, then 3. e-mail, in what is left of maxDuration. Redis failing just now: the next run.
  let queued: number | null = null
  let emails: Omit<EmailDrainResult, 'durationMs'> | null = null
  if (drained.stoppedBy !== 'error') {
    reminders ??= createReminders({ prisma })
    queued = await reminders.reconcileReminders().catch((err: unknown) => {
      console.warn(`[cron] reminders not reconciled: ${(err as Error)?.message ?? err}`)
      return null
    })
    const { durationMs: _emailMs, ...e } = await drainEmails({
      deadlineMs: Math.max(0, CRON_MAX_DURATION_MS - ONE_SEND_MS - elapsed()),
    })
    emails = e
  }

  const { stoppedBy, error, durationMs: _drainMs, ...counts } = drained
  const failed = stoppedBy === 'error' || emails?.stoppedBy === 'error'
  return Response.json(
    {
      ...counts,
      /** Jobs ready and not taken (null: Redis could not say). */
      remaining,
      /** Analyses not finished yet, from the database: includes retries waiting for their backoff. */
      pending,
      reconciled,
      stoppedBy,
      ...(error ? { error } : {}),
      /** Reminder jobs queued by the reconciliation (null: not run, Redis failed first, or the database did). */
      reminders: { queued },
      /** The e-mail drain (null: not run, Redis failed during the analyses). */
      emails,
      durationMs: Math.round(elapsed()),
    },
    { status: failed ? 503 : 200, headers: { 'cache-control': 'no-store' } },
  )
})

/** Constant-time check of `Authorization: Bearer <secret>` (hashed first, so lengths never differ). */
function bearerMatches(header: string | null, secret: string): boolean {
  const given = /^Bearer (.+)$/.exec(header ?? '')?.[1]
  if (!given) return false
  const digest = (v: string) => createHash('sha256').update(v).digest()
  return timingSafeEqual(digest(given), digest(secret))
}
