import { withAuth } from '@/lib/request/api'
import { listTeam } from '@/lib/users/team'

export const dynamic = 'force-dynamic'

/** The cabinet's users `{ users }` (ADMIN only, else 403). */
export const GET = withAuth(async ({ identity }) => Response.json({ users: await listTeam(identity) }))
