import { requireIdentity } from '@/lib/auth/identity'
import { cachedQueries } from '@/lib/cached-queries'
import { listQuerySchema, queryObject } from '@/lib/dossiers/schemas'
import { readHeaders, writeHeaders } from '@/lib/dossiers/responses'
import { readJson, route } from '@/lib/http'
import { recordChange } from '@/lib/leaderboard'

export const dynamic = 'force-dynamic'

/** The caller's cabinet's dossiers, newest first; `?status=OPEN|IN_PROGRESS|CLOSED|ARCHIVED`. */
export const GET = route(async (request: Request) => {
  const { tenantId } = requireIdentity(request)
  const { status } = listQuerySchema.parse(queryObject(request.url))
  const read = await cachedQueries().listDossiers(tenantId, status)
  return Response.json({ dossiers: read.data }, { headers: readHeaders(read) })
})

/** Creates a dossier in the caller's cabinet (`title`, `clientName`; optional `reference`, `description`, `status`). */
export const POST = route(async (request: Request) => {
  const { tenantId } = requireIdentity(request)
  const written = await cachedQueries().createDossier(tenantId, (await readJson(request)) as never)
  await recordChange(tenantId, { kind: 'created', after: written.data })
  return Response.json({ dossier: written.data }, { status: 201, headers: writeHeaders(written) })
})
