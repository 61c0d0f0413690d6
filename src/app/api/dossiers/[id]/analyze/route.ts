import { aiPipeline } from '@/lib/ai-queue'
import { drainAfterResponse } from '@/lib/analysis/drain'
import { requireIdentity } from '@/lib/auth/identity'
import { dossierNotFound } from '@/lib/dossiers/responses'
import { dossierIdSchema } from '@/lib/dossiers/schemas'
import { route } from '@/lib/http'

export const dynamic = 'force-dynamic'
/** Serverless: the analysis may run after the response (ANALYSIS_AFTER_RESPONSE), within this function's time. */
export const maxDuration = 60

/**
 * Queues an AI analysis of the dossier → 202 `{ jobId }`. Idempotent while one is pending: a retry
 * answers the same jobId and queues nothing (`created: false`). 429 (Retry-After) when the cabinet has
 * ANALYSIS_MAX_PENDING_PER_CABINET analyses pending or the user asked too often: nothing queued.
 */
export const POST = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { tenantId, userId } = requireIdentity(request)
  const id = dossierIdSchema.safeParse((await params).id)
  if (!id.success) return dossierNotFound()
  const { jobId, created } = await aiPipeline().requestAnalysis(tenantId, id.data, 'normal', { userId })
  drainAfterResponse()
  return Response.json({ jobId, created }, { status: 202 })
})
