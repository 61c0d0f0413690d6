import type { PrismaClient } from '@/generated/prisma/client'
import { HttpError } from '@/lib/core/http-error'
import { afterAnswer, RedisOutcomeUnknownError, type Queue, type RateLimitFn } from '@/lib/upstash'
import type { DeadLetterSweep } from './dead-letters'
import { pushTask, type AIAnalysisTask } from './job'

/**
 * Asking for an analysis (POST /api/dossiers/:id/analyze, "Lancer l'analyse"): an Analysis row
 * (QUEUED) and a job whose id is the row's id. At most one pending analysis per dossier (a unique
 * column), and a push of an id already queued does nothing: a client retrying after a timeout never
 * queues a second analysis. Limits: a cabinet has at most ANALYSIS_MAX_PENDING_PER_CABINET analyses
 * pending (counted in the database, free), a user asks at most ANALYSIS_RATE_LIMIT_MAX times per
 * window (1 command); over either → AnalysisLimitError (429), nothing queued.
 */

/** Who asks for an analysis, for the per-user rate limit. */
export interface AnalysisRequester {
  userId: string
}

/** What requestAnalysis answers. */
export interface AnalysisRequest {
  /** The job's id (= the Analysis row's id). */
  jobId: string
  /** false when an analysis of this dossier was already pending: nothing new was queued. */
  created: boolean
}

/**
 * A request over one of the limits: 429, nothing queued. `reason` lets the page say it in French;
 * the API answers the English message (with Retry-After).
 */
export class AnalysisLimitError extends HttpError {
  override name = 'AnalysisLimitError'
  constructor(
    readonly reason: 'cabinet-pending' | 'user-rate',
    /** The limit that was reached. */
    readonly limit: number,
    retryAfterSeconds: number,
  ) {
    super(
      429,
      reason === 'cabinet-pending'
        ? `too many analyses pending for this cabinet (at most ${limit}): wait until some finish`
        : `too many analysis requests (at most ${limit} per window): try again in ${retryAfterSeconds} s`,
      { 'retry-after': String(retryAfterSeconds) },
    )
  }
}

/** A closed or archived dossier is not analysed: 409, nothing queued (the page says it in French). */
export class DossierClosedError extends HttpError {
  override name = 'DossierClosedError'
  constructor(readonly dossierStatus: 'CLOSED' | 'ARCHIVED') {
    super(409, `dossier is ${dossierStatus === 'CLOSED' ? 'closed' : 'archived'}: reopen it to analyse it`)
  }
}

/** Whether a dossier in this status may be analysed (not closed, not archived). */
export const isAnalysable = (status: string): boolean => status !== 'CLOSED' && status !== 'ARCHIVED'

export interface AnalysisRequestDeps {
  prisma: Pick<PrismaClient, 'analysis' | 'dossier'>
  queue: Queue
  deadLetters: Pick<DeadLetterSweep, 'failIfDead'>
  invalidate: (tenantId: string) => Promise<unknown>
  rateLimit: RateLimitFn
  maxPendingPerCabinet: () => number
  userRateLimit: () => { limit: number; windowSeconds: number }
}

export function createAnalysisRequests({
  prisma,
  queue,
  deadLetters,
  invalidate,
  rateLimit,
  maxPendingPerCabinet,
  userRateLimit,
}: AnalysisRequestDeps) {
  /** The cabinet's pending analyses created before `row` (ordered by createdAt, then id). */
  function pendingAhead(tenantId: string, row: { id: string; createdAt: Date }): Promise<number> {
    return prisma.analysis.count({
      where: {
        tenantId,
        pendingFor: { not: null },
        OR: [{ createdAt: { lt: row.createdAt } }, { createdAt: row.createdAt, id: { lt: row.id } }],
      },
    })
  }

  async function checkUserRate(requester: AnalysisRequester): Promise<void> {
    const { limit, windowSeconds } = userRateLimit()
    const verdict = await rateLimit(`analysis:${requester.userId}`, limit, windowSeconds)
    if (!verdict.allowed)
      throw new AnalysisLimitError('user-rate', limit, Math.max(1, Math.ceil((verdict.resetAt - Date.now()) / 1000)))
  }

  /** The dossier's pending analysis; one whose job is already dead is marked FAILED and not returned. */
  async function pendingOf(dossierId: string) {
    const pending = await prisma.analysis.findUnique({ where: { pendingFor: dossierId } })
    // Its lease may have expired on the last attempt with no worker to record it: then this request starts a new one.
    if (pending && (await deadLetters.failIfDead(pending.id)))
      return prisma.analysis.findUnique({ where: { pendingFor: dossierId } })
    return pending
  }

  /** A new pending analysis within the cabinet's bound, or the one a concurrent request created first. */
  async function createPending(tenantId: string, dossierId: string) {
    const max = maxPendingPerCabinet()
    if ((await prisma.analysis.count({ where: { tenantId, pendingFor: { not: null } } })) >= max)
      throw new AnalysisLimitError('cabinet-pending', max, 30)
    let analysis
    try {
      analysis = await prisma.analysis.create({ data: { dossierId, tenantId, pendingFor: dossierId } })
    } catch (err) {
      // A concurrent request created it first: that one is ours too.
      const theirs = await prisma.analysis.findUnique({ where: { pendingFor: dossierId } })
      if (!theirs) throw err
      return { analysis: theirs, created: false }
    }
    // Concurrent requests may all have passed the check: each counts the cabinet's pending rows created
    // before its own, and the ones with `max` or more ahead take theirs back, so the first `max` stay.
    if ((await pendingAhead(tenantId, analysis)) >= max) {
      await prisma.analysis.deleteMany({ where: { id: analysis.id, status: 'QUEUED' } })
      throw new AnalysisLimitError('cabinet-pending', max, 30)
    }
    return { analysis, created: true }
  }

  /**
   * Queues an analysis of one of the cabinet's dossiers, or returns the one already pending.
   * 404 when the cabinet has no such dossier; AnalysisLimitError (429) over the cabinet's pending bound
   * or the requester's rate limit (nothing queued); DossierClosedError (409) for a closed or archived
   * dossier; RedisUnavailableError (503) when the queue cannot
   * be reached, in which case nothing is left pending (a retry starts clean).
   */
  async function requestAnalysis(
    tenantId: string,
    dossierId: string,
    priority: AIAnalysisTask['priority'] = 'normal',
    requester?: AnalysisRequester,
  ): Promise<AnalysisRequest> {
    if (requester) await checkUserRate(requester)
    const dossier = await prisma.dossier.findFirst({
      where: { id: dossierId, tenantId },
      select: { id: true, status: true },
    })
    if (!dossier) throw new HttpError(404, 'dossier not found')
    if (!isAnalysable(dossier.status)) throw new DossierClosedError(dossier.status as 'CLOSED' | 'ARCHIVED')
    const existing = await pendingOf(dossierId)
    const { analysis, created } = existing
      ? { analysis: existing, created: false }
      : await createPending(tenantId, dossierId)
    try {
      // Also for an analysis already pending: a push of an id still queued is a no-op, and this heals
      // a request that died between the row and the push.
      await pushTask(queue, { analysisId: analysis.id, dossierId, tenantId, timestamp: Date.now(), priority })
    } catch (err) {
      // Not sent: the row goes, nothing was queued. Sent but unconfirmed: the job may be queued, so the row stays
      // QUEUED and the cabinet's cached reads are invalidated after the answer, so that they show it. If the push
      // did not land, the row waits for the client to ask again: that re-pushes the same job id.
      if (created && err instanceof RedisOutcomeUnknownError) void afterAnswer(() => invalidate(tenantId))
      else if (created) await prisma.analysis.deleteMany({ where: { id: analysis.id, status: 'QUEUED' } })
      throw err
    }
    if (created) await invalidate(tenantId)
    return { jobId: analysis.id, created }
  }

  return {
    requestAnalysis,

    /** The seed's call: queues an analysis of a dossier, whatever its cabinet (server-side use only). Returns the job id. */
    async queueAIAnalysis(dossierId: string, priority: AIAnalysisTask['priority'] = 'normal'): Promise<string> {
      const dossier = await prisma.dossier.findUnique({ where: { id: dossierId }, select: { tenantId: true } })
      if (!dossier) throw new HttpError(404, `dossier "${dossierId}" not found`)
      return (await requestAnalysis(dossier.tenantId, dossierId, priority)).jobId
    },
  }
}
