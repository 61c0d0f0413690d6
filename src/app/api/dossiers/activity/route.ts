import { readHeaders } from '@/lib/dossiers/responses'
import { dossiers } from '@/lib/dossiers/service'
import { withAuth } from '@/lib/request/api'
import { getActiveDossiers } from '@/lib/scores/leaderboard'

export const dynamic = 'force-dynamic'

/** The caller's cabinet's most recently active dossiers (its `dossier-activity` sorted set), with their titles. */
export const GET = withAuth(async ({ tenantId }) => {
  const top = await getActiveDossiers(tenantId, 10)
  // Fetched by id among the cabinet's own (cached) dossiers: an id that is not the cabinet's is never shown.
  const list = await dossiers().getDossiersByIds(
    tenantId,
    top.map((t) => t.member),
  )
  const byId = new Map(list.data.map((d) => [d.id, d]))
  const activity = top.flatMap(({ member, score }) => {
    const d = byId.get(member)
    return d
      ? [
          {
            id: d.id,
            reference: d.reference,
            title: d.title,
            status: d.status,
            lastActivityAt: new Date(score).toISOString(),
          },
        ]
      : []
  })
  return Response.json({ dossiers: activity }, { headers: readHeaders(list) })
})
