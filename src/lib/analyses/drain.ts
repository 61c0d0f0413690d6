/**
 * Analyses without a long-running worker (Vercel and other serverless hosts): the request that queued
 * an analysis drains the queue right after its response (Next's after()), and the cron route
 * (GET /api/cron/analysis) drains and reconciles what a killed function or a lost push left behind.
 * Same queue, same handler, same guarantees as `npm run worker`: a job is leased, so a function killed
 * mid-job is redelivered when its lease expires; completion is a compare-and-set, never done twice.
 */
import { after } from 'next/server'
import { aiPipeline, type AIPipeline } from './pipeline'
import { appConfig } from '@/lib/config'
import { outsideRedisBudget, type JobOutcome } from '@/lib/upstash'

/** What one drain did. */
export interface DrainResult {
  /** Jobs taken and finished one way or another (the counts below add up to it). */
  processed: number
  done: number
  /** Failed attempts that will be retried after their backoff. */
  retried: number
  /** Jobs out of attempts: their analysis is FAILED. */
  failed: number
  /** Jobs whose lease expired while they ran (another run took them over). */
  leaseLost: number
  /** 'empty': no job ready was left; 'budget': time ran out with jobs maybe left; 'error': Redis failed. */
  stoppedBy: 'empty' | 'budget' | 'error'
  error?: string
  durationMs: number
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
export function drainAnalyses(options: DrainOptions): Promise<DrainResult> {
  return outsideRedisBudget(async () => {
    const pipeline = options.pipeline ?? aiPipeline()
    const started = performance.now()
    const result: DrainResult = {
      processed: 0,
      done: 0,
      retried: 0,
      failed: 0,
      leaseLost: 0,
      stoppedBy: 'budget',
      durationMs: 0,
    }
    while (performance.now() - started < options.budgetMs) {
      let outcome: JobOutcome<unknown>
      try {
        outcome = await pipeline.processAIQueue()
      } catch (err) {
        result.stoppedBy = 'error'
        result.error = (err as Error)?.message ?? String(err)
        break
      }
      if (outcome.status === 'empty') {
        result.stoppedBy = 'empty'
        break
      }
      result.processed++
      if (outcome.status === 'acked') result.done++
      else if (outcome.status === 'retry') result.retried++
      else if (outcome.status === 'dead') result.failed++
      else result.leaseLost++
    }
    result.durationMs = Math.round(performance.now() - started)
    return result
  })
}

/**
 * One drain at a time per instance: requests arriving while one runs ask it for one more look at the
 * queue instead of starting their own (which would each end on a billed empty reserve).
 */
let running: Promise<DrainResult> | undefined
let again = false

/** Drains now, or joins the drain this instance is running (which then looks at the queue once more). */
export function drainShared(options: DrainOptions): Promise<DrainResult> {
  if (running) {
    again = true
    return running
  }
  const deadline = performance.now() + options.budgetMs
  running = (async () => {
    let last: DrainResult
    do {
      again = false
      last = await drainAnalyses({ ...options, budgetMs: Math.max(0, deadline - performance.now()) })
    } while (again && last.stoppedBy === 'empty' && performance.now() < deadline)
    return last
  })().finally(() => {
    running = undefined
  })
  return running
}

/**
 * Called by whatever just queued an analysis (the API route, the server action): when
 * ANALYSIS_AFTER_RESPONSE is on (default on Vercel), drains the queue after the response is sent,
 * within ANALYSIS_DRAIN_SECONDS, kept alive by after() (the platform's waitUntil). Off: the worker does it.
 */
export function drainAfterResponse(): void {
  const { analysisAfterResponse, analysisDrainMs } = appConfig()
  if (!analysisAfterResponse) return
  after(async () => {
    const r = await drainShared({ budgetMs: analysisDrainMs })
    if (r.stoppedBy === 'error') console.warn(`[analysis] drain after the response stopped: ${r.error}`)
  })
}
