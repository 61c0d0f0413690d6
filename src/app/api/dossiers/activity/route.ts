import { requireIdentity } from '@/lib/auth/identity'
import { cachedQueries } from '@/lib/cached-queries'
import { readHeaders } from '@/lib/dossiers/responses'
import { route } from '@/lib/http'
import { getActiveDossiers } from '@/lib/leaderboard'

export const dynamic = 'force-dynamic'

/** The caller's cabinet's most recently active dossiers (its `dossier-activity` sorted set), with their titles. */
export const GET = route(async (request: Request) => {
  const { tenantId } = requireIdentity(request)
  const top = await getActiveDossiers(tenantId, 10)
  // Fetched by id among the cabinet's own (cached) dossiers: an id that is not the cabinet's is never shown.
  const list = await cachedQueries().getDossiersByIds(tenantId, top.map((t) => t.member))
  const byId = new Map(list.data.map((d) => [d.id, d]))
  const dossiers = top.flatMap(({ member, score }) => {
    const d = byId.get(member)
    return d ? [{ id: d.id, reference: d.reference, title: d.title, status: d.status, lastActivityAt: new Date(score).toISOString() }] : []
  })
  return Response.json({ dossiers }, { headers: readHeaders(list) })
})
