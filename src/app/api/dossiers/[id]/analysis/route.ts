import { analysisReads } from '@/lib/analyses/read-model'
import { DOSSIER_ID, dossierNotFound } from '@/lib/dossiers/responses'
import { dossiers } from '@/lib/dossiers/service'
import { withAuthAndId } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

/**
 * The dossier's latest analysis: `{ status, result?, error? }`; status NONE when none was ever
 * requested. The result is there once DONE; `error` says why it FAILED (or why the last attempt did).
 */
export const GET = withAuthAndId(DOSSIER_ID, async ({ tenantId, id }) => {
  const [dossier, analysis] = await Promise.all([
    dossiers().getDossier(tenantId, id),
    analysisReads().getLatestAnalysis(tenantId, id),
  ])
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
