import { requireIdentity } from '@/lib/auth/identity'
import { HttpError, readJson, route } from '@/lib/http'
import { updateTeamMember, userIdSchema, userPatchSchema } from '@/lib/users'

export const dynamic = 'force-dynamic'

/**
 * `{ role?, active? }` → 200 `{ user }` (ADMIN only, else 403). Another cabinet's user is a 404; the
 * last active ADMIN cannot be demoted or deactivated (409). The user's sessions end at once.
 */
export const PATCH = route(async (request: Request, { params }: { params: Promise<{ id: string }> }) => {
  const actor = requireIdentity(request)
  const id = userIdSchema.safeParse((await params).id)
  if (!id.success) throw new HttpError(404, 'user not found')
  const patch = userPatchSchema.parse(await readJson(request))
  const { member } = await updateTeamMember(actor, id.data, patch)
  return Response.json({ user: member })
})
