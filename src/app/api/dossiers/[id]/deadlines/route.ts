import { deadlines } from '@/lib/deadlines/service'
import { DOSSIER_ID } from '@/lib/dossiers/responses'
import { readJson } from '@/lib/request/http'
import { withAuthAndId } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

/** The dossier's deadlines `{ deadlines }` (done ones included, dismissed proposals not), soonest first. */
export const GET = withAuthAndId(DOSSIER_ID, async ({ tenantId, userId, id }) =>
  Response.json({ deadlines: await deadlines().listForDossier({ cabinetId: tenantId, userId }, id) }),
)

/**
 * `{ title, dueAt, kind? }` → 201 `{ deadline }`: a confirmed deadline, its reminders scheduled. `dueAt`: ISO
 * 8601 with an offset, or a Europe/Paris wall-clock time (`2027-01-12T09:30`). Every role may: in a French
 * firm the assistants keep the agenda.
 */
export const POST = withAuthAndId(DOSSIER_ID, async ({ tenantId, userId, id, request }) => {
  const deadline = await deadlines().create({ cabinetId: tenantId, userId }, id, await readJson(request))
  return Response.json({ deadline }, { status: 201, headers: { location: `/api/deadlines/${deadline.id}` } })
})
