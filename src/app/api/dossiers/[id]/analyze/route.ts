import { drainAfterResponse } from '@/lib/services/analysis-drain'
import { aiPipeline } from '@/lib/services/analyses'
import { DOSSIER_ID } from '@/lib/dossiers/responses'
import { withAuthAndId } from '@/lib/request/api'

export const dynamic = 'force-dynamic'
/** Serverless: the analysis may run after the response (ANALYSIS_AFTER_RESPONSE), within this function's time. */
export const maxDuration = 60

/**
 * Queues an AI analysis of the dossier → 202 `{ jobId }`. Idempotent while one is pending: a retry
 * answers the same jobId and queues nothing (`created: false`). 429 (Retry-After) when the cabinet has
 * ANALYSIS_MAX_PENDING_PER_CABINET analyses pending or the user asked too often: nothing queued.
 */
export const POST = withAuthAndId(DOSSIER_ID, async ({ tenantId, userId, id }) => {
  const { jobId, created } = await aiPipeline().requestAnalysis(tenantId, id, 'normal', { userId })
  drainAfterResponse()
  return Response.json({ jobId, created }, { status: 202 })
})
