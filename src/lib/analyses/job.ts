import { z } from 'zod'
import type { PrismaClient } from '@/generated/prisma/client'
import type { DossierChange } from '@/lib/scores/leaderboard'
import { parseInput, PermanentJobError, type Queue, type ReservedJob } from '@/lib/upstash'
import type { Analyzer, KeyDate } from './analyzer'

/**
 * One analysis job ('ai-analysis-queue'): its payload, how it is queued, and the worker's handler.
 * The handler marks the analysis RUNNING, runs the analyser, stores the result (DONE) in the database,
 * scores the cabinet and the dossier's activity, and invalidates the cabinet's cached reads; the
 * queue then acks. Failures retry with backoff; after the last attempt the analysis is FAILED with
 * the reason and the job is in the dead letters. A job delivered again after its analysis finished
 * (the worker died before its ack) is acked without running twice: DONE is written with a
 * compare-and-set on the status, so completion happens exactly once. The future dates the analysis found
 * become proposed deadlines (échéances) of the dossier just before it is marked DONE: idempotent (one
 * proposal per dossier and date, ever), so a redelivery proposes nothing twice; a failure there is logged
 * and never fails the analysis.
 */
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

export const PENDING = ['QUEUED', 'RUNNING'] as const

/** Queues a task, idempotent by its analysis id; the cabinet is its group, so cabinets are served fairly, not one cabinet's burst first. */
export async function pushTask(queue: Queue, task: AIAnalysisTask): Promise<void> {
  await queue.push(AI_ANALYSIS_QUEUE, task, { jobId: task.analysisId, group: task.tenantId })
}

/** Marks a pending analysis as finished (compare-and-set on the status); true when this call did it. */
export async function finishAnalysis(
  prisma: Pick<PrismaClient, 'analysis'>,
  analysisId: string,
  data: Record<string, unknown>,
): Promise<boolean> {
  const { count } = await prisma.analysis.updateMany({
    where: { id: analysisId, status: { in: [...PENDING] } },
    data: { ...data, pendingFor: null, completedAt: new Date() },
  })
  return count === 1
}

export interface AnalysisJobDeps {
  prisma: Pick<PrismaClient, 'analysis'>
  analyzer: Analyzer
  /** The cabinet's cached reads, invalidated at each status change. */
  invalidate: (tenantId: string) => Promise<unknown>
  scores: { recordChange(tenantId: string, change: DossierChange): Promise<void> }
  /** Proposes the result's future dates as deadlines of the dossier (deadlines().proposeFromAnalysis); idempotent. */
  proposeDeadlines?: (tenantId: string, dossierId: string, dates: KeyDate[]) => Promise<unknown>
}

/** The worker's handler for one job (processNext / runWorker). */
export function analysisJobHandler({
  prisma,
  analyzer,
  invalidate,
  scores,
  proposeDeadlines,
}: AnalysisJobDeps): (data: unknown, job: ReservedJob<unknown>) => Promise<void> {
  return async (data, job) => {
    // A malformed task will not get better with retries: PermanentJobError sends it straight to the dead letters.
    const task = parseInput(taskSchema, data, `${AI_ANALYSIS_QUEUE} job: data`, PermanentJobError)
    const analysis = await prisma.analysis.findFirst({
      where: { id: task.analysisId, tenantId: task.tenantId },
      include: { dossier: true },
    })
    // The dossier was deleted (its analyses with it), or the analysis already finished: nothing left to do.
    if (!analysis || !PENDING.includes(analysis.status as (typeof PENDING)[number])) return

    await prisma.analysis.updateMany({
      where: { id: analysis.id, status: { in: [...PENDING] } },
      data: { status: 'RUNNING', attempts: job.attempts, startedAt: new Date() },
    })
    await invalidate(task.tenantId)

    let result
    try {
      result = await analyzer.analyze(analysis.dossier)
    } catch (err) {
      const message = (err instanceof Error ? err.message : String(err)).slice(0, 2000)
      if (err instanceof PermanentJobError || job.attempts >= job.maxAttempts)
        await finishAnalysis(prisma, analysis.id, { status: 'FAILED', error: message })
      else
        await prisma.analysis.updateMany({
          where: { id: analysis.id, status: 'RUNNING' },
          data: { status: 'QUEUED', error: message },
        })
      await invalidate(task.tenantId)
      throw err
    }

    // Before DONE, so a worker dying in between leaves a redelivery that proposes them (idempotent) rather than none.
    if (proposeDeadlines && result.keyDates.length > 0) {
      await proposeDeadlines(task.tenantId, task.dossierId, result.keyDates).catch((err: unknown) =>
        console.warn(
          `[analyses] deadlines of analysis ${analysis.id} not proposed (the analysis completes all the same): ${(err as Error)?.message ?? err}`,
        ),
      )
    }

    const done = await finishAnalysis(prisma, analysis.id, {
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
    if (done) await scores.recordChange(task.tenantId, { kind: 'analysisCompleted', dossierId: task.dossierId })
    await invalidate(task.tenantId)
  }
}
