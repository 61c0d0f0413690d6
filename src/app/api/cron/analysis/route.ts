import { createHash, timingSafeEqual } from 'node:crypto'
import { drainShared } from '@/lib/analyses/drain'
import { aiPipeline } from '@/lib/analyses/pipeline'
import { appConfig } from '@/lib/config'
import { withPublic } from '@/lib/request/api'

export const dynamic = 'force-dynamic'
/** Vercel stops the function after this many seconds; the drain stops starting jobs ANALYSIS_DRAIN_SECONDS (45) in. */
export const maxDuration = 60

/** Analyses pending for longer than this are checked against Redis (dead letters, lost pushes). */
const STALE_AFTER_MS = 10 * 60_000

/**
 * GET /api/cron/analysis (Vercel Cron, vercel.json): drains the analysis queue within
 * ANALYSIS_DRAIN_SECONDS, then reconciles analyses stuck pending. `Authorization: Bearer $CRON_SECRET`
 * (what Vercel sends), compared in constant time, before any Redis call: a caller without it costs
 * nothing. An idle run costs 1 billed command (the empty reserve); reconciling costs only when some
 * analysis has been pending for 10 minutes.
 * → 200 { processed, done, retried, failed, remaining, pending, reconciled, stoppedBy, durationMs }
 */
export const GET = withPublic(async ({ request }) => {
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
  let drained = await drainShared({ budgetMs: analysisDrainMs })
  const pipeline = aiPipeline()
  // Only what the drain left to its successor costs anything here.
  const reconciled = drained.stoppedBy === 'error' ? null : await pipeline.reconcile({ staleAfterMs: STALE_AFTER_MS })
  const left = analysisDrainMs - (performance.now() - started)
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
  const { stoppedBy, error, durationMs: _drainMs, ...counts } = drained
  return Response.json(
    {
      ...counts,
      /** Jobs ready and not taken (null: Redis could not say). */
      remaining,
      /** Analyses not finished yet, from the database: includes retries waiting for their backoff. */
      pending: await pipeline.pendingCount(),
      reconciled,
      stoppedBy,
      ...(error ? { error } : {}),
      durationMs: Math.round(performance.now() - started),
    },
    { status: stoppedBy === 'error' ? 503 : 200, headers: { 'cache-control': 'no-store' } },
  )
})

/** Constant-time check of `Authorization: Bearer <secret>` (hashed first, so lengths never differ). */
function bearerMatches(header: string | null, secret: string): boolean {
  const given = /^Bearer (.+)$/.exec(header ?? '')?.[1]
  if (!given) return false
  const digest = (v: string) => createHash('sha256').update(v).digest()
  return timingSafeEqual(digest(given), digest(secret))
}
