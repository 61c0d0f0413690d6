import { requireIdentity } from '@/lib/auth/identity'
import { route } from '@/lib/http'
import { listTeam } from '@/lib/users'

export const dynamic = 'force-dynamic'

/** The cabinet's users `{ users }` (ADMIN only, else 403). */
export const GET = route(async (request: Request) => {
  return Response.json({ users: await listTeam(requireIdentity(request)) })
})
