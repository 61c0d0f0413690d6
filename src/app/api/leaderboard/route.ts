import { withAuth } from '@/lib/request/api'
import { cabinetLeaderboard } from '@/lib/scores/leaderboard'

export const dynamic = 'force-dynamic'

/**
 * The best cabinets with points `{ rank, id, name, score, you }`, ties sharing a rank, and the caller's
 * cabinet always (`you: true`; last when it is not among the best, even at 0 points).
 */
export const GET = withAuth(async ({ tenantId }) => {
  return Response.json({ cabinets: await cabinetLeaderboard(tenantId) })
})
