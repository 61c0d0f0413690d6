import { DOSSIER_ID, dossierNotFound, readHeaders, writeHeaders } from '@/lib/dossiers/responses'
import { DOSSIER_DELETE_ROLES } from '@/lib/dossiers/permissions'
import { dossiers } from '@/lib/dossiers/service'
import { readJson } from '@/lib/request/http'
import { withAuthAndId } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

export const GET = withAuthAndId(DOSSIER_ID, async ({ tenantId, id }) => {
  const read = await dossiers().getDossier(tenantId, id)
  if (!read.data) return dossierNotFound(readHeaders(read))
  return Response.json({ dossier: read.data }, { headers: readHeaders(read) })
})

/** Any of title, clientName, reference (409 when another dossier of the cabinet has it), description, status. */
export const PATCH = withAuthAndId(DOSSIER_ID, async ({ tenantId, id, request }) => {
  const written = await dossiers().updateDossier(tenantId, id, await readJson(request))
  if (!written.data) return dossierNotFound()
  return Response.json({ dossier: written.data.after }, { headers: writeHeaders(written) })
})

/** Deleting a case file is for lawyers and admins; assistants may edit but not delete. */
export const DELETE = withAuthAndId(
  DOSSIER_ID,
  async ({ tenantId, id }) => {
    const written = await dossiers().deleteDossier(tenantId, id)
    if (!written.data) return dossierNotFound()
    return new Response(null, { status: 204, headers: writeHeaders(written) })
  },
  { roles: DOSSIER_DELETE_ROLES },
)
