/**
 * Transitional: the old entry of the analysis pipeline, kept only for the tests that still import it
 * (tests/lib/worker.test.ts, tests/chaos/*) until they move with the Redis-layer tests. App code uses
 * src/lib/analyses. Delete it then.
 */
import { createAIPipeline as create, type AIPipelineDeps as Deps } from '@/lib/analyses/pipeline'

export { AI_ANALYSIS_QUEUE, type AIAnalysisTask } from '@/lib/analyses/job'
export type { AIPipeline } from '@/lib/analyses/pipeline'

/** The pipeline's dependencies; `queries` (the old cached-queries object) gives the cabinet cache invalidation. */
export type AIPipelineDeps = Deps & { queries?: { invalidateTenant(tenantId: string): Promise<boolean> } }

export function createAIPipeline({ queries, ...deps }: AIPipelineDeps = {}): ReturnType<typeof create> {
  return create({
    ...deps,
    ...(queries && !deps.invalidate ? { invalidate: (tenantId: string) => queries.invalidateTenant(tenantId) } : {}),
  })
}
