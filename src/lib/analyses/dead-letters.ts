import type { PrismaClient } from '@/generated/prisma/client'
import type { Queue } from '@/lib/upstash'
import { AI_ANALYSIS_QUEUE, finishAnalysis, pushTask, type AIAnalysisTask } from './job'

/**
 * Analyses whose job ended in the dead letters without the worker recording it (a lease that expired
 * on its last attempt: nobody ran the handler's failure path). Swept by the worker (at start, then
 * hourly) and the cron route (GET /api/cron/analysis), never on a request's path.
 */
export interface DeadLetterDeps {
  prisma: Pick<PrismaClient, 'analysis'>
  queue: Queue
}

export function createDeadLetterSweep({ prisma, queue }: DeadLetterDeps) {
  /** Marks FAILED, with the job's last error, every dead-lettered analysis still pending. 2 commands (LRANGE, HMGET). */
  async function reconcileDeadLetters(limit = 100): Promise<number> {
    const dead = await queue.deadLetters<Partial<AIAnalysisTask>>(AI_ANALYSIS_QUEUE, limit)
    let fixed = 0
    for (const job of dead) {
      if (typeof job.data?.analysisId !== 'string') continue
      if (
        await finishAnalysis(prisma, job.data.analysisId, {
          status: 'FAILED',
          error: (job.error ?? 'failed').slice(0, 2000),
        })
      )
        fixed++
    }
    return fixed
  }

  return {
    reconcileDeadLetters,

    /**
     * Whether one analysis's job is in the dead letters; if so it is marked FAILED now. For a request
     * that finds its dossier's analysis still pending: only that analysis is looked at and written,
     * 2 commands, on such retries only.
     */
    async failIfDead(analysisId: string): Promise<boolean> {
      const dead = await queue.deadLetters<Partial<AIAnalysisTask>>(AI_ANALYSIS_QUEUE, 100)
      const job = dead.find((d) => d.data?.analysisId === analysisId)
      return (
        job !== undefined &&
        finishAnalysis(prisma, analysisId, { status: 'FAILED', error: (job.error ?? 'failed').slice(0, 2000) })
      )
    },

    /**
     * The cron route's and the worker's safety net, free while nothing is stuck: asks the database (not
     * billed) for analyses pending for longer than `staleAfterMs`; only when there are some does it ask
     * Redis: the dead letters (analyses whose last lease expired: FAILED), then a push of each one still
     * pending (a no-op for a job still queued, 2 commands; re-queues one lost with Redis's data).
     */
    async reconcile(options: {
      staleAfterMs: number
      limit?: number
    }): Promise<{ stale: number; failed: number; repushed: number }> {
      const stale = await prisma.analysis.findMany({
        where: { pendingFor: { not: null }, createdAt: { lt: new Date(Date.now() - options.staleAfterMs) } },
        select: { id: true },
        take: options.limit ?? 50,
        orderBy: { createdAt: 'asc' },
      })
      if (stale.length === 0) return { stale: 0, failed: 0, repushed: 0 }
      const failed = await reconcileDeadLetters()
      const still = await prisma.analysis.findMany({
        where: { id: { in: stale.map((a) => a.id) }, pendingFor: { not: null } },
        select: { id: true, dossierId: true, tenantId: true },
      })
      for (const a of still)
        await pushTask(queue, {
          analysisId: a.id,
          dossierId: a.dossierId,
          tenantId: a.tenantId,
          timestamp: Date.now(),
          priority: 'normal',
        })
      return { stale: stale.length, failed, repushed: still.length }
    },
  }
}

export type DeadLetterSweep = ReturnType<typeof createDeadLetterSweep>
