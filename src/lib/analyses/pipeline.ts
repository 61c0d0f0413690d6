import type { PrismaClient } from '@/generated/prisma/client'
import { appConfig } from '@/lib/core/config'
import { prisma as defaultPrisma } from '@/lib/core/prisma'
import { leaderboard as defaultLeaderboard, type DossierChange } from '@/lib/scores/leaderboard'
import { cabinetCache } from '@/lib/tenants/cabinet-cache'
import {
  processNext,
  queue as defaultQueue,
  rateLimit as defaultRateLimit,
  runWorker,
  type JobOutcome,
  type ProcessOptions,
  type Queue,
  type RateLimitFn,
  type WorkerOptions,
} from '@/lib/upstash'
import { createLocalAnalyzer, type Analyzer, type KeyDate } from './analyzer'
import { createDeadLetterSweep } from './dead-letters'
import { AI_ANALYSIS_QUEUE, analysisJobHandler } from './job'
import { createAnalysisRequests } from './request'

/**
 * The analysis pipeline, put together: requests (request.ts), the job handler (job.ts), the dead-letter
 * sweep (dead-letters.ts), on one queue. The app's own (src/lib/services/analyses.ts) adds the deadline
 * proposals; scripts/worker.ts, the drain after a response and the cron route run that one.
 */

/** Where a finished analysis proposes its future dates (the deadline service: proposeFromAnalysis). */
export interface DeadlineProposer {
  proposeFromAnalysis(ctx: { cabinetId: string }, dossierId: string, dates: KeyDate[]): Promise<unknown>
}

export interface AIPipelineDeps {
  prisma?: Pick<PrismaClient, 'analysis' | 'dossier' | 'deadline' | 'user'>
  queue?: Queue
  analyzer?: Analyzer
  /** Invalidates a cabinet's cached reads (default: the app's cabinet cache). */
  invalidate?: (tenantId: string) => Promise<unknown>
  leaderboard?: { recordChange(tenantId: string, change: DossierChange): Promise<void> }
  /** Lease per attempt; the worker renews it while the analysis runs (default 5 min). */
  visibilityTimeoutMs?: number
  /** Pending analyses allowed per cabinet (default ANALYSIS_MAX_PENDING_PER_CABINET). */
  maxPendingPerCabinet?: number
  /** Requests allowed per user and window (default ANALYSIS_RATE_LIMIT_MAX per ANALYSIS_RATE_LIMIT_WINDOW_SECONDS). */
  userRateLimit?: { limit: number; windowSeconds: number }
  rateLimit?: RateLimitFn
  /** Where a finished analysis proposes its future dates as deadlines (default: nowhere). */
  deadlines?: DeadlineProposer
}

export function createAIPipeline(deps: AIPipelineDeps = {}) {
  const prisma = deps.prisma ?? defaultPrisma
  const queue = deps.queue ?? defaultQueue
  const invalidate = deps.invalidate ?? ((tenantId: string) => cabinetCache().invalidate(tenantId))
  const visibilityTimeoutMs = deps.visibilityTimeoutMs ?? 5 * 60_000
  const deadLetters = createDeadLetterSweep({ prisma, queue })
  const requests = createAnalysisRequests({
    prisma,
    queue,
    deadLetters,
    invalidate,
    rateLimit: deps.rateLimit ?? defaultRateLimit,
    maxPendingPerCabinet: () => deps.maxPendingPerCabinet ?? appConfig().analysisMaxPendingPerCabinet,
    userRateLimit: () => deps.userRateLimit ?? appConfig().analysisRateLimit,
  })
  const handle = analysisJobHandler({
    prisma,
    analyzer: deps.analyzer ?? createLocalAnalyzer(),
    invalidate,
    scores: deps.leaderboard ?? defaultLeaderboard,
    proposeDeadlines: deps.deadlines
      ? (tenantId, dossierId, dates) => deps.deadlines!.proposeFromAnalysis({ cabinetId: tenantId }, dossierId, dates)
      : undefined,
  })

  /** A wake hint: true when an analysis was requested since the previous call (the newest QUEUED row changed). */
  function newRequestSince(): () => Promise<boolean> {
    let newest: string | undefined
    return async () => {
      const row = await prisma.analysis.findFirst({
        where: { status: 'QUEUED' },
        orderBy: { createdAt: 'desc' },
        select: { id: true },
      })
      const changed = row !== null && row.id !== newest
      newest = row?.id ?? newest
      return changed
    }
  }

  return {
    ...requests,
    reconcileDeadLetters: deadLetters.reconcileDeadLetters,
    reconcile: deadLetters.reconcile,

    /** Analyses requested and not finished (QUEUED or RUNNING), counted in the database: free. */
    pendingCount: (): Promise<number> => prisma.analysis.count({ where: { pendingFor: { not: null } } }),
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
      return runWorker(queue, AI_ANALYSIS_QUEUE, handle, {
        visibilityTimeoutMs,
        wakeHint: newRequestSince(),
        ...options,
      })
    },
  }
}

export type AIPipeline = ReturnType<typeof createAIPipeline>
