import { createDossier, getCachedDossiers } from '@/lib/cached-queries'
import { queueAIAnalysis } from '@/lib/ai-queue'
import { updateTenantScore } from '@/lib/leaderboard'
import { errorResponse, readJson } from '@/lib/http'

export const dynamic = 'force-dynamic'

type Params = { params: Promise<{ tenantId: string }> }

/** A cabinet's dossiers, newest first, through the Redis cache (1 command on a hit). */
export async function GET(_request: Request, { params }: Params): Promise<Response> {
  try {
    const { tenantId } = await params
    return Response.json({ dossiers: await getCachedDossiers(tenantId) })
  } catch (err) {
    return errorResponse(err)
  }
}

/**
 * Creates a dossier (body `{ reference, title, status? }`), invalidates the cabinet's cached
 * reads, queues its AI analysis and scores the cabinet on the leaderboard. The dossier is the
 * source of truth: if Redis is unreachable afterwards it is still created (201) and the answer
 * says the analysis was not queued, so the caller can retry it — nothing is dropped silently.
 */
export async function POST(request: Request, { params }: Params): Promise<Response> {
  try {
    const { tenantId } = await params
    const dossier = await createDossier(tenantId, (await readJson(request)) as never)
    let analysis: 'queued' | 'not-queued' = 'queued'
    try {
      await queueAIAnalysis(dossier.id)
    } catch (err) {
      analysis = 'not-queued'
      console.warn(`[api] dossier ${dossier.id} created but its analysis was not queued: ${(err as Error).message}`)
    }
    // Separate from the push: a failed score must not report a queued job as not queued (a retry would queue it twice).
    try {
      await updateTenantScore(tenantId, 1)
    } catch (err) {
      console.warn(`[api] dossier ${dossier.id} created but cabinet ${tenantId} was not scored: ${(err as Error).message}`)
    }
    return Response.json({ dossier, analysis }, { status: 201 })
  } catch (err) {
    return errorResponse(err)
  }
}
