/**
 * The AI analysis queue ('ai-analysis-queue'): the app queues a dossier for analysis, a worker
 * (scripts/worker.ts) processes it at least once with retries, and the result lands in a hash
 * (`hashMap` key `ai-analysis:<dossierId>`) that pages can read.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { parseInput } from '@/lib/redis/helper-input'
import { PermanentJobError, processNext, runWorker, type JobOutcome, type ProcessOptions, type WorkerOptions } from '@/lib/redis/queue-worker'
import { hashMap as defaultHashMap, queue as defaultQueue, type HashMap, type Queue } from '@/lib/upstash'

export const AI_ANALYSIS_QUEUE = 'ai-analysis-queue'

/** What is queued per dossier (the seed's shape). */
export interface AIAnalysisTask {
  dossierId: string
  timestamp: number
  priority: 'normal' | 'high'
}

/** What the worker records once a dossier is analysed. */
export interface AIAnalysisResult {
  dossierId: string
  status: 'done'
  summary: string
  analyzedAt: number
  jobId: string
  attempts: number
}

/** The analysis itself: a model call in production, a placeholder here. Throwing makes the job retry. */
export type Analyzer = (task: AIAnalysisTask) => Promise<{ summary: string }>

const dossierIdSchema = z.string({ error: 'expected a string' }).min(1, 'must not be empty').max(200, 'must be at most 200 characters')
const prioritySchema = z.enum(['normal', 'high'], { error: 'expected "normal" or "high"' })
const taskSchema = z.object({ dossierId: dossierIdSchema, timestamp: z.number(), priority: prioritySchema })

/**
 * Stands in for the model call until one is wired: takes `delayMs` (a model's latency) and
 * returns a fixed summary.
 */
export function placeholderAnalyzer(delayMs = 0): Analyzer {
  return async (task) => {
    if (delayMs > 0) await sleep(delayMs)
    return { summary: `analyse automatique du dossier ${task.dossierId} (placeholder)` }
  }
}

export interface AIQueueDeps {
  queue?: Queue
  hashMap?: HashMap
  analyze?: Analyzer
  /** Lease per attempt; the worker renews it while the analysis runs (default 5 min). */
  visibilityTimeoutMs?: number
}

export function createAIQueue(deps: AIQueueDeps = {}) {
  const queue = deps.queue ?? defaultQueue
  const hashMap = deps.hashMap ?? defaultHashMap
  const analyze = deps.analyze ?? placeholderAnalyzer()
  const visibilityTimeoutMs = deps.visibilityTimeoutMs ?? 5 * 60_000
  const resultKey = (dossierId: string) => `ai-analysis:${dossierId}`

  async function handle(data: unknown, job: { id: string; attempts: number }): Promise<void> {
    const parsed = taskSchema.safeParse(data)
    // A malformed task will not get better with retries: straight to the dead letters.
    if (!parsed.success) throw new PermanentJobError(`not an AI analysis task: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
    const task = parsed.data
    const { summary } = await analyze(task)
    const result: AIAnalysisResult = { dossierId: task.dossierId, status: 'done', summary, analyzedAt: Date.now(), jobId: job.id, attempts: job.attempts }
    // Idempotent (same key overwritten), so a redelivered job does no harm.
    await hashMap.set(resultKey(task.dossierId), result)
  }

  return {
    /** Queues a dossier for analysis; returns the job id. Throws when Redis is down or disabled (the caller must know it was not queued). */
    async queueAIAnalysis(dossierId: string, priority: AIAnalysisTask['priority'] = 'normal'): Promise<string> {
      parseInput(dossierIdSchema, dossierId, 'queueAIAnalysis: dossierId')
      // Checked here rather than by the worker, which would dead-letter the job long after the caller returned.
      parseInput(prioritySchema, priority, 'queueAIAnalysis: priority')
      const task: AIAnalysisTask = { dossierId, timestamp: Date.now(), priority }
      return queue.push(AI_ANALYSIS_QUEUE, task)
    },

    /** Processes at most one job (reserve → analyse → ack, or fail → retry/dead letter). */
    processAIQueue(options: ProcessOptions = {}): Promise<JobOutcome<unknown>> {
      return processNext(queue, AI_ANALYSIS_QUEUE, handle, { visibilityTimeoutMs, ...options })
    },

    /** The worker loop: processes jobs until `signal` aborts (finishing the current one first). */
    runAIWorker(options: WorkerOptions): Promise<void> {
      return runWorker(queue, AI_ANALYSIS_QUEUE, handle, { visibilityTimeoutMs, ...options })
    },

    /** The recorded analysis of a dossier, or null when none is done yet. */
    getAnalysis(dossierId: string): Promise<AIAnalysisResult | null> {
      parseInput(dossierIdSchema, dossierId, 'getAnalysis: dossierId')
      return hashMap.getAll<AIAnalysisResult>(resultKey(dossierId))
    },
  }
}

export type AIQueue = ReturnType<typeof createAIQueue>

const defaultAIQueue = createAIQueue()

/** The seed's API on the app's Redis: `await queueAIAnalysis(dossierId)`, `await processAIQueue()`. */
export const { queueAIAnalysis, processAIQueue, runAIWorker, getAnalysis } = defaultAIQueue
