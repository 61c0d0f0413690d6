import { requireIdentity, requireRole } from '@/lib/auth/identity'
import { cachedQueries } from '@/lib/cached-queries'
import { dossierNotFound, readHeaders, writeHeaders } from '@/lib/dossiers/responses'
import { dossierIdSchema } from '@/lib/dossiers/schemas'
import { readJson, route } from '@/lib/http'
import { recordChange } from '@/lib/leaderboard'

export const dynamic = 'force-dynamic'

type Params = { params: Promise<{ id: string }> }

/** The id in the URL, or null when it cannot be one (answered like any unknown dossier). */
async function dossierId({ params }: Params): Promise<string | null> {
  const parsed = dossierIdSchema.safeParse((await params).id)
  return parsed.success ? parsed.data : null
}

export const GET = route(async (request: Request, context: Params) => {
  const { tenantId } = requireIdentity(request)
  const id = await dossierId(context)
  if (!id) return dossierNotFound()
  const read = await cachedQueries().getDossier(tenantId, id)
  if (!read.data) return dossierNotFound(readHeaders(read))
  return Response.json({ dossier: read.data }, { headers: readHeaders(read) })
})

/** Any of title, clientName, description, status. */
export const PATCH = route(async (request: Request, context: Params) => {
  const { tenantId } = requireIdentity(request)
  const id = await dossierId(context)
  const body = await readJson(request)
  if (!id) return dossierNotFound()
  const written = await cachedQueries().updateDossier(tenantId, id, body)
  if (!written.data) return dossierNotFound()
  const { before, after } = written.data
  await recordChange(tenantId, { kind: 'updated', before, after })
  return Response.json({ dossier: after }, { headers: writeHeaders(written) })
})

/** Deleting a case file is for lawyers and admins; assistants may edit but not delete. */
export const DELETE = route(async (request: Request, context: Params) => {
  const identity = requireIdentity(request)
  requireRole(identity, 'ADMIN', 'AVOCAT')
  const { tenantId } = identity
  const id = await dossierId(context)
  if (!id) return dossierNotFound()
  const written = await cachedQueries().deleteDossier(tenantId, id)
  if (!written.data) return dossierNotFound()
  await recordChange(tenantId, { kind: 'deleted', dossierId: id })
  return new Response(null, { status: 204, headers: writeHeaders(written) })
})
