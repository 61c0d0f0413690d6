import { requireIdentity } from '@/lib/auth/identity'
import { route } from '@/lib/http'
import { cabinetLeaderboard } from '@/lib/leaderboard'

export const dynamic = 'force-dynamic'

/**
 * The best cabinets with points `{ rank, id, name, score, you }`, ties sharing a rank, and the caller's
 * cabinet always (`you: true`; last when it is not among the best, even at 0 points).
 */
export const GET = route(async (request: Request) => {
  const { tenantId } = requireIdentity(request)
  return Response.json({ cabinets: await cabinetLeaderboard(tenantId) })
})
