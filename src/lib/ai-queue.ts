/**
 * The AI analysis pipeline ('ai-analysis-queue'), on the at-least-once queue:
 *
 *   POST /api/dossiers/:id/analyze → requestAnalysis: an Analysis row (QUEUED) + a job whose id is
 *   the row's id. At most one pending analysis per dossier (a unique column), and a push of an id
 *   already queued does nothing: a client retrying after a timeout never queues a second analysis.
 *   Limits: a cabinet has at most ANALYSIS_MAX_PENDING_PER_CABINET analyses pending (counted in the
 *   database, free), a user asks at most ANALYSIS_RATE_LIMIT_MAX times per window (1 command); over
 *   either → AnalysisLimitError (429), nothing queued. Jobs are pushed in their cabinet's group, so one
 *   cabinet's burst delays another cabinet's analysis by about one job (src/lib/redis/queue.ts).
 *
 *   scripts/worker.ts → the handler: marks the analysis RUNNING, runs the analyser, stores the result
 *   (DONE) in the database, scores the cabinet and the dossier's activity, invalidates the cabinet's
 *   cached reads, then acks. Failures retry with backoff; after the last attempt the analysis is
 *   FAILED with the reason and the job is in the dead letters. A job delivered again after its
 *   analysis finished (the worker died before its ack) is acked without running twice: DONE is
 *   written with a compare-and-set on the status, so completion happens exactly once.
 */
import { z } from 'zod'
import type { PrismaClient } from '@/generated/prisma/client'
import { createLocalAnalyzer, type Analyzer } from '@/lib/analysis/analyzer'
import { cachedQueries, type CachedQueries } from '@/lib/cached-queries'
import { HttpError } from '@/lib/http-error'
import { leaderboard as defaultLeaderboard, type Leaderboard } from '@/lib/leaderboard'
import { prisma as defaultPrisma } from '@/lib/prisma'
import { appConfig } from '@/lib/config'
import { afterAnswer, rateLimit as defaultRateLimit, type RateLimitFn, parseInput, PermanentJobError, RedisOutcomeUnknownError, processNext, queue as defaultQueue, runWorker, type JobOutcome, type ProcessOptions, type Queue, type ReservedJob, type WorkerOptions } from '@/lib/upstash'

export const AI_ANALYSIS_QUEUE = 'ai-analysis-queue'

/** What is queued per analysis (the seed's fields, plus what the worker needs to find the row). */
export interface AIAnalysisTask {
  analysisId: string
  dossierId: string
  tenantId: string
  timestamp: number
  priority: 'normal' | 'high'
}

const idField = z.string({ error: 'expected a string' }).min(1, 'must not be empty')
const taskSchema = z.object(
  {
    analysisId: idField,
    dossierId: idField,
    tenantId: idField,
    timestamp: z.number({ error: 'expected a number' }),
    priority: z.enum(['normal', 'high'], { error: "expected 'normal' or 'high'" }),
  },
  { error: 'expected an AI analysis task object' },
)

const PENDING = ['QUEUED', 'RUNNING'] as const

export interface AIPipelineDeps {
  prisma?: Pick<PrismaClient, 'analysis' | 'dossier'>
  queue?: Queue
  analyzer?: Analyzer
  queries?: CachedQueries
  leaderboard?: Leaderboard
  /** Lease per attempt; the worker renews it while the analysis runs (default 5 min). */
  visibilityTimeoutMs?: number
  /** Pending analyses allowed per cabinet (default ANALYSIS_MAX_PENDING_PER_CABINET). */
  maxPendingPerCabinet?: number
  /** Requests allowed per user and window (default ANALYSIS_RATE_LIMIT_MAX per ANALYSIS_RATE_LIMIT_WINDOW_SECONDS). */
  userRateLimit?: { limit: number; windowSeconds: number }
  rateLimit?: RateLimitFn
}

/** Who asks for an analysis, for the per-user rate limit. */
export interface AnalysisRequester {
  userId: string
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

/** What requestAnalysis answers. */
export interface AnalysisRequest {
  /** The job's id (= the Analysis row's id). */
  jobId: string
  /** false when an analysis of this dossier was already pending: nothing new was queued. */
  created: boolean
}

export function createAIPipeline(deps: AIPipelineDeps = {}) {
  const prisma = deps.prisma ?? defaultPrisma
  const queue = deps.queue ?? defaultQueue
  const analyzer = deps.analyzer ?? createLocalAnalyzer()
  const queries = () => deps.queries ?? cachedQueries()
  const leaderboard = deps.leaderboard ?? defaultLeaderboard
  const visibilityTimeoutMs = deps.visibilityTimeoutMs ?? 5 * 60_000
  const maxPending = () => deps.maxPendingPerCabinet ?? appConfig().analysisMaxPendingPerCabinet
  const userLimit = () => deps.userRateLimit ?? appConfig().analysisRateLimit
  const limiter = deps.rateLimit ?? defaultRateLimit

  async function push(task: AIAnalysisTask): Promise<void> {
    // The cabinet is the job's group: the queue serves cabinets fairly, not one cabinet's burst first.
    await queue.push(AI_ANALYSIS_QUEUE, task, { jobId: task.analysisId, group: task.tenantId })
  }

  /** The cabinet's pending analyses created before `row` (ordered by createdAt, then id). */
  function pendingAhead(tenantId: string, row: { id: string; createdAt: Date }): Promise<number> {
    return prisma.analysis.count({
      where: { tenantId, pendingFor: { not: null }, OR: [{ createdAt: { lt: row.createdAt } }, { createdAt: row.createdAt, id: { lt: row.id } }] },
    })
  }

  /** The cabinet's analyses pending (QUEUED or RUNNING), counted in the database: free. */
  function pendingOf(tenantId: string): Promise<number> {
    return prisma.analysis.count({ where: { tenantId, pendingFor: { not: null } } })
  }

  /** Marks a pending analysis as finished (compare-and-set on the status); true when this call did it. */
  async function finish(analysisId: string, data: Record<string, unknown>): Promise<boolean> {
    const { count } = await prisma.analysis.updateMany({
      where: { id: analysisId, status: { in: [...PENDING] } },
      data: { ...data, pendingFor: null, completedAt: new Date() },
    })
    return count === 1
  }

  async function handle(data: unknown, job: ReservedJob<unknown>): Promise<void> {
    // A malformed task will not get better with retries: PermanentJobError sends it straight to the dead letters.
    const task = parseInput(taskSchema, data, `${AI_ANALYSIS_QUEUE} job: data`, PermanentJobError)
    const analysis = await prisma.analysis.findFirst({ where: { id: task.analysisId, tenantId: task.tenantId }, include: { dossier: true } })
    // The dossier was deleted (its analyses with it), or the analysis already finished: nothing left to do.
    if (!analysis || !PENDING.includes(analysis.status as (typeof PENDING)[number])) return

    await prisma.analysis.updateMany({
      where: { id: analysis.id, status: { in: [...PENDING] } },
      data: { status: 'RUNNING', attempts: job.attempts, startedAt: new Date() },
    })
    await queries().invalidateTenant(task.tenantId)

    let result
    try {
      result = await analyzer.analyze(analysis.dossier)
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      if (err instanceof PermanentJobError || job.attempts >= job.maxAttempts) {
        await finish(analysis.id, { status: 'FAILED', error: message.slice(0, 2000) })
      } else {
        await prisma.analysis.updateMany({ where: { id: analysis.id, status: 'RUNNING' }, data: { status: 'QUEUED', error: message.slice(0, 2000) } })
      }
      await queries().invalidateTenant(task.tenantId)
      throw err
    }

    const done = await finish(analysis.id, {
      status: 'DONE',
      error: null,
      domain: result.domain,
      urgency: result.urgency,
      urgencyReason: result.urgencyReason,
      summary: result.summary,
      keyDates: JSON.stringify(result.keyDates),
      amounts: JSON.stringify(result.amounts),
      analyzer: result.analyzer,
    })
    // Only the delivery that completed it scores it: a concurrent or repeated delivery does not.
    if (done) await leaderboard.recordChange(task.tenantId, { kind: 'analysisCompleted', dossierId: task.dossierId })
    await queries().invalidateTenant(task.tenantId)
  }

  /**
   * Analyses whose job ended in the dead letters without the worker recording it (a lease that
   * expired on its last attempt) are marked FAILED with the job's last error. 2 commands (LRANGE, HMGET).
   */
  async function reconcileDeadLetters(limit = 100): Promise<number> {
    const dead = await queue.deadLetters<Partial<AIAnalysisTask>>(AI_ANALYSIS_QUEUE, limit)
    let fixed = 0
    for (const job of dead) {
      if (typeof job.data?.analysisId !== 'string') continue
      if (await finish(job.data.analysisId, { status: 'FAILED', error: (job.error ?? 'failed').slice(0, 2000) })) fixed++
    }
    return fixed
  }

  /**
   * The cron route's safety net, free while nothing is stuck: asks the database (not billed) for
   * analyses pending for longer than `staleAfterMs`; only when there are some does it ask Redis: the
   * dead letters (analyses whose last lease expired: FAILED), then a push of each one still pending
   * (a no-op for a job still queued, 2 commands; re-queues one lost with Redis's data).
   */
  async function reconcile(options: { staleAfterMs: number; limit?: number }): Promise<{ stale: number; failed: number; repushed: number }> {
    const limit = options.limit ?? 50
    const stale = await prisma.analysis.findMany({
      where: { pendingFor: { not: null }, createdAt: { lt: new Date(Date.now() - options.staleAfterMs) } },
      select: { id: true },
      take: limit,
      orderBy: { createdAt: 'asc' },
    })
    if (stale.length === 0) return { stale: 0, failed: 0, repushed: 0 }
    const failed = await reconcileDeadLetters()
    const still = await prisma.analysis.findMany({ where: { id: { in: stale.map((a) => a.id) }, pendingFor: { not: null } }, select: { id: true, dossierId: true, tenantId: true } })
    for (const a of still) await push({ analysisId: a.id, dossierId: a.dossierId, tenantId: a.tenantId, timestamp: Date.now(), priority: 'normal' })
    return { stale: stale.length, failed, repushed: still.length }
  }

  /** Analyses requested and not finished (QUEUED or RUNNING), counted in the database: free. */
  function pendingCount(): Promise<number> {
    return prisma.analysis.count({ where: { pendingFor: { not: null } } })
  }

  /**
   * Queues an analysis of one of the cabinet's dossiers, or returns the one already pending.
   * 404 when the cabinet has no such dossier; AnalysisLimitError (429) over the cabinet's pending bound
   * or the requester's rate limit (nothing queued); RedisUnavailableError (503) when the queue cannot
   * be reached, in which case nothing is left pending (a retry starts clean).
   */
  async function requestAnalysis(tenantId: string, dossierId: string, priority: AIAnalysisTask['priority'] = 'normal', requester?: AnalysisRequester): Promise<AnalysisRequest> {
    if (requester) {
      const { limit, windowSeconds } = userLimit()
      const verdict = await limiter(`analysis:${requester.userId}`, limit, windowSeconds)
      if (!verdict.allowed) throw new AnalysisLimitError('user-rate', limit, Math.max(1, Math.ceil((verdict.resetAt - Date.now()) / 1000)))
    }
    const dossier = await prisma.dossier.findFirst({ where: { id: dossierId, tenantId }, select: { id: true } })
    if (!dossier) throw new HttpError(404, 'dossier not found')
    let analysis = await prisma.analysis.findUnique({ where: { pendingFor: dossierId } })
    let created = false
    if (!analysis) {
      const max = maxPending()
      if ((await pendingOf(tenantId)) >= max) throw new AnalysisLimitError('cabinet-pending', max, 30)
      try {
        analysis = await prisma.analysis.create({ data: { dossierId, tenantId, pendingFor: dossierId } })
        created = true
      } catch (err) {
        // A concurrent request created it first: that one is ours too.
        analysis = await prisma.analysis.findUnique({ where: { pendingFor: dossierId } })
        if (!analysis) throw err
      }
      // Concurrent requests may all have passed the check: each counts the cabinet's pending rows
      // created before its own, and the ones with `max` or more ahead take theirs back, so the first
      // `max` stay and the bound holds.
      if (created && (await pendingAhead(tenantId, analysis)) >= max) {
        await prisma.analysis.deleteMany({ where: { id: analysis.id, status: 'QUEUED' } })
        throw new AnalysisLimitError('cabinet-pending', max, 30)
      }
    }
    if (!created && (await reconcileDeadLetters()) > 0) {
      // The pending one may have just been found dead (its lease expired on the last attempt, no worker
      // recorded it): it is FAILED now, and this request starts a new analysis (2 commands, on retries only).
      const still = await prisma.analysis.findUnique({ where: { pendingFor: dossierId } })
      if (!still) return requestAnalysis(tenantId, dossierId, priority)
    }
    const task: AIAnalysisTask = { analysisId: analysis.id, dossierId, tenantId, timestamp: Date.now(), priority }
    try {
      // Also for an analysis already pending: a push of an id still queued is a no-op, and this heals
      // a request that died between the row and the push.
      await push(task)
    } catch (err) {
      // Not sent: the row goes, nothing was queued. Sent but unconfirmed: the job may be queued, so the row stays
      // QUEUED and the cabinet's cached reads are invalidated after the answer, so that they show it. If the push
      // did not land, the row waits, as after an empty restart, for the client to ask again: that re-pushes the
      // same job id, which queues nothing twice.
      if (created && err instanceof RedisOutcomeUnknownError) void afterAnswer(() => queries().invalidateTenant(tenantId))
      else if (created) await prisma.analysis.deleteMany({ where: { id: analysis.id, status: 'QUEUED' } })
      throw err
    }
    if (created) await queries().invalidateTenant(tenantId)
    return { jobId: analysis.id, created }
  }

  /** A wake hint: true when an analysis was requested since the previous call (the newest QUEUED row changed). */
  function newRequestSince(): () => Promise<boolean> {
    let newest: string | undefined
    return async () => {
      const row = await prisma.analysis.findFirst({ where: { status: 'QUEUED' }, orderBy: { createdAt: 'desc' }, select: { id: true } })
      const changed = row !== null && row.id !== newest
      newest = row?.id ?? newest
      return changed
    }
  }

  return {
    requestAnalysis,

    /** The seed's call: queues an analysis of a dossier (whatever its cabinet; server-side use only). Returns the job id. */
    async queueAIAnalysis(dossierId: string, priority: AIAnalysisTask['priority'] = 'normal'): Promise<string> {
      const dossier = await prisma.dossier.findUnique({ where: { id: dossierId }, select: { tenantId: true } })
      if (!dossier) throw new HttpError(404, `dossier "${dossierId}" not found`)
      return (await requestAnalysis(dossier.tenantId, dossierId, priority)).jobId
    },

    reconcileDeadLetters,
    reconcile,
    pendingCount,
    /** Jobs ready to be taken now: 3 commands (the stats script). */
    waiting: (): Promise<number> => queue.length(AI_ANALYSIS_QUEUE),

    /** Processes at most one job (reserve → analyse → store → ack, or fail → retry / dead letter). */
    processAIQueue(options: ProcessOptions = {}): Promise<JobOutcome<unknown>> {
      return processNext(queue, AI_ANALYSIS_QUEUE, handle, { visibilityTimeoutMs, ...options })
    },

    /**
     * The worker loop: processes jobs until `signal` aborts (finishing the current one first). While
     * idle it asks the database (free) every second whether a new analysis was requested, and only
     * then Redis (billed): idling costs one command a minute, and a new analysis starts within ~1 s.
     */
    runAIWorker(options: WorkerOptions): Promise<void> {
      return runWorker(queue, AI_ANALYSIS_QUEUE, handle, { visibilityTimeoutMs, wakeHint: newRequestSince(), ...options })
    },
  }
}

export type AIPipeline = ReturnType<typeof createAIPipeline>

let app: AIPipeline | undefined
/** The app's pipeline (process-wide Prisma, Redis and the local analyser). */
export const aiPipeline = (): AIPipeline => (app ??= createAIPipeline())

/** The seed's API on the app's pipeline: `await queueAIAnalysis(dossierId)`. */
export const queueAIAnalysis = (dossierId: string, priority?: AIAnalysisTask['priority']): Promise<string> => aiPipeline().queueAIAnalysis(dossierId, priority)
/** Processes one job of the queue (the seed's processAIQueue). */
export const processAIQueue = (options?: ProcessOptions): Promise<JobOutcome<unknown>> => aiPipeline().processAIQueue(options)
