import { requireIdentity } from '@/lib/auth/identity'
import { cachedQueries } from '@/lib/cached-queries'
import { dossierNotFound } from '@/lib/dossiers/responses'
import { dossierIdSchema } from '@/lib/dossiers/schemas'
import { route } from '@/lib/http'

export const dynamic = 'force-dynamic'

/**
 * The dossier's latest analysis: `{ status, result?, error? }`; status NONE when none was ever
 * requested. The result is there once DONE; `error` says why it FAILED (or why the last attempt did).
 */
export const GET = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const { tenantId } = requireIdentity(request)
  const id = dossierIdSchema.safeParse((await params).id)
  if (!id.success) return dossierNotFound()
  const queries = cachedQueries()
  const [dossier, analysis] = await Promise.all([queries.getDossier(tenantId, id.data), queries.getLatestAnalysis(tenantId, id.data)])
  if (!dossier.data) return dossierNotFound()
  const a = analysis.data
  const headers = { 'x-cache': dossier.cache === analysis.cache ? analysis.cache : 'MISS' }
  if (!a) return Response.json({ status: 'NONE' }, { headers })
  const { id: jobId, status, attempts, error, createdAt, startedAt, completedAt, ...fields } = a
  return Response.json(
    {
      status,
      jobId,
      attempts,
      createdAt,
      startedAt,
      completedAt,
      ...(status === 'DONE' ? { result: fields } : {}),
      ...(error ? { error } : {}),
    },
    { headers },
  )
})
