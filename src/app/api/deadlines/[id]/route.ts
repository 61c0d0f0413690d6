import { DEADLINE_ID, splitDeadlinePatch } from '@/lib/deadlines/responses'
import { deadlines } from '@/lib/deadlines/service'
import { readJson } from '@/lib/request/http'
import { withAuthAndId } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

/**
 * `{ title?, dueAt?, kind?, done? }` → 200 `{ deadline }`. A proposal from the analysis is answered with
 * `status`: `'confirmed'` (alone, or with edits applied first) schedules its reminders; `'dismissed'`
 * (alone) hides it for good. Another cabinet's deadline: 404.
 */
export const PATCH = withAuthAndId(DEADLINE_ID, async ({ tenantId, userId, id, request }) => {
  const ctx = { cabinetId: tenantId, userId }
  const service = deadlines()
  const asked = splitDeadlinePatch(await readJson(request))
  let deadline
  if (asked.kind === 'dismiss') deadline = await service.dismiss(ctx, id)
  else if (asked.kind === 'update') deadline = await service.update(ctx, id, asked.patch)
  else {
    if (asked.patch) await service.update(ctx, id, asked.patch)
    deadline = await service.confirm(ctx, id)
  }
  return Response.json({ deadline })
})

/** → 204; its reminders are cancelled. */
export const DELETE = withAuthAndId(DEADLINE_ID, async ({ tenantId, userId, id }) => {
  await deadlines().remove({ cabinetId: tenantId, userId }, id)
  return new Response(null, { status: 204 })
})
