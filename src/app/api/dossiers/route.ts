import { requireIdentity } from '@/lib/auth/identity'
import { cachedQueries } from '@/lib/cached-queries'
import { listQuerySchema, queryObject } from '@/lib/dossiers/schemas'
import { readHeaders, writeHeaders } from '@/lib/dossiers/responses'
import { readJson, route } from '@/lib/http'
import { recordChange } from '@/lib/leaderboard'

export const dynamic = 'force-dynamic'

/**
 * One page of the caller's cabinet's dossiers, newest first → `{ dossiers, nextCursor, prevCursor }`
 * (items without their description; null: no such page). `?status=`, `?q=` (title, client or reference,
 * searched across all the cabinet's dossiers), `?cursor=` (next page) or `?before=` (previous), `?limit=` (1-100, 50).
 */
export const GET = route(async (request: Request) => {
  const { tenantId } = requireIdentity(request)
  const query = listQuerySchema.parse(queryObject(request.url))
  const read = await cachedQueries().listDossierPage(tenantId, query)
  return Response.json(read.data, { headers: readHeaders(read) })
})

/** Creates a dossier in the caller's cabinet (`title`, `clientName`; optional `reference`, `description`, `status`). */
export const POST = route(async (request: Request) => {
  const { tenantId } = requireIdentity(request)
  const written = await cachedQueries().createDossier(tenantId, (await readJson(request)) as never)
  await recordChange(tenantId, { kind: 'created', after: written.data })
  return Response.json({ dossier: written.data }, { status: 201, headers: writeHeaders(written) })
})
