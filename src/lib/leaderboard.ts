/**
 * The cabinets' leaderboard (sorted set 'tenant-leaderboard'), as in the user's guide:
 * points accumulate per tenant and the top 10 are read in one command.
 */
import { sortedSet as defaultSortedSet, type ScoredMember, type SortedSet } from '@/lib/upstash'

export const TENANT_LEADERBOARD = 'tenant-leaderboard'

export function createLeaderboard(sortedSet: SortedSet = defaultSortedSet) {
  return {
    /** Adds `points` (may be negative) to a tenant's score; returns the new score. 1 command. */
    updateTenantScore(tenantId: string, points: number): Promise<number> {
      return sortedSet.increment(TENANT_LEADERBOARD, tenantId, points)
    },
    /** The `n` best tenants (10 by default), best first, as `{ member: tenantId, score }`. 1 command. */
    getTopTenants(n = 10): Promise<ScoredMember[]> {
      return sortedSet.top(TENANT_LEADERBOARD, n)
    },
    /** A tenant's 0-based place (0 = first), null when it has no score yet. 1 command. */
    getTenantRank(tenantId: string): Promise<number | null> {
      return sortedSet.rank(TENANT_LEADERBOARD, tenantId)
    },
  }
}

export type Leaderboard = ReturnType<typeof createLeaderboard>

/** The seed's functions on the app's Redis. */
export const { updateTenantScore, getTopTenants, getTenantRank } = createLeaderboard()
