/**
 * Analyses without a long-running worker (Vercel and other serverless hosts): the request that queued
 * an analysis drains the queue right after its response (Next's after()), and the cron route
 * (GET /api/cron/analysis) drains and reconciles what a killed function or a lost push left behind.
 * Same queue, same handler, same guarantees as `npm run worker`: a job is leased, so a function killed
 * mid-job is redelivered when its lease expires; completion is a compare-and-set, never done twice.
 */
import { afterResponse } from '@/lib/core/after-response'
import type { AIPipeline } from '@/lib/analyses/pipeline'
import { aiPipeline } from './analyses'
import { appConfig } from '@/lib/core/config'
import { drainQueue, oneDrainAtATime, type DrainCounts } from '@/lib/upstash'

/** What one drain did: the queue's counts, an acked job being a DONE analysis. */
export type DrainResult = Omit<DrainCounts, 'acked'> & {
  /** Analyses completed (their job acked). */
  done: number
}

export interface DrainOptions {
  /** No job is started after this many ms (a function's maxDuration minus the longest job). */
  budgetMs: number
  pipeline?: AIPipeline
}

/**
 * Processes analysis jobs until none is ready or `budgetMs` has passed. Cost: each job as with the
 * worker (reserve, ack, heartbeats), plus the one empty reserve (1 billed command) that ends the run.
 * Each queue call has a Redis budget of its own, whatever request started the drain. Never throws.
 */
export async function drainAnalyses(options: DrainOptions): Promise<DrainResult> {
  const pipeline = options.pipeline ?? aiPipeline()
  const { acked, ...counts } = await drainQueue(() => pipeline.processAIQueue(), options.budgetMs)
  return { ...counts, done: acked }
}

const shared = oneDrainAtATime<DrainResult>()

/**
 * Drains now, or joins the drain this instance is running (which then looks at the queue once more):
 * one drain at a time per instance, however many requests ask.
 */
export function drainShared(options: DrainOptions): Promise<DrainResult> {
  return shared(options.budgetMs, (budgetMs) => drainAnalyses({ ...options, budgetMs }))
}

/**
 * Called by whatever just queued an analysis (the API route, the server action): when
 * ANALYSIS_AFTER_RESPONSE is on (default on Vercel), drains the queue after the response is sent,
 * within ANALYSIS_DRAIN_SECONDS, kept alive by after() (the platform's waitUntil). Off: the worker does it.
 */
export function drainAfterResponse(): void {
  const { analysisAfterResponse, analysisDrainMs } = appConfig()
  if (!analysisAfterResponse) return
  afterResponse(async () => {
    const r = await drainShared({ budgetMs: analysisDrainMs })
    if (r.stoppedBy === 'error') console.warn(`[analysis] drain after the response stopped: ${r.error}`)
  })
}
