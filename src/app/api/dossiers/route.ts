import { readHeaders, writeHeaders } from '@/lib/dossiers/responses'
import { listQuerySchema, queryObject } from '@/lib/dossiers/schemas'
import { dossiers } from '@/lib/dossiers/service'
import { readJson } from '@/lib/request/http'
import { withAuth } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

/**
 * One page of the caller's cabinet's dossiers, newest first → `{ dossiers, nextCursor, prevCursor }`
 * (items without their description; null: no such page). `?status=`, `?q=` (title, client or reference,
 * searched across all the cabinet's dossiers), `?cursor=` (next page) or `?before=` (previous), `?limit=` (1-100, 50).
 */
export const GET = withAuth(async ({ tenantId, request }) => {
  const query = listQuerySchema.parse(queryObject(request.url))
  const read = await dossiers().listDossierPage(tenantId, query)
  return Response.json(read.data, { headers: readHeaders(read) })
})

/** Creates a dossier in the caller's cabinet (`title`, `clientName`; optional `reference`, `description`, `status`). */
export const POST = withAuth(async ({ tenantId, request }) => {
  const written = await dossiers().createDossier(tenantId, (await readJson(request)) as never)
  return Response.json({ dossier: written.data }, { status: 201, headers: writeHeaders(written) })
})
