import { readJson } from '@/lib/request/http'
import { withAuthAndId } from '@/lib/request/api'
import { updateTeamMember, USER_ID, userPatchSchema } from '@/lib/users/team'

export const dynamic = 'force-dynamic'

/**
 * `{ role?, active? }` → 200 `{ user }` (ADMIN only, else 403). Another cabinet's user is a 404; the
 * last active ADMIN cannot be demoted or deactivated (409). The user's sessions end at once.
 */
export const PATCH = withAuthAndId(USER_ID, async ({ identity, id, request }) => {
  const patch = userPatchSchema.parse(await readJson(request))
  const { member } = await updateTeamMember(identity, id, patch)
  return Response.json({ user: member })
})
