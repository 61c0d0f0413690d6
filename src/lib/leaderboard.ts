/**
 * The cabinets' leaderboard (sorted set `tenant-leaderboard`) and each cabinet's dossier activity
 * (sorted set `dossier-activity:<tenantId>`), as in the user's guide.
 *
 * Scoring (points per cabinet), applied by the app and the worker:
 *   - a dossier created: POINTS.dossierCreated (1)
 *   - an analysis completed: POINTS.analysisCompleted (3)
 *   - a dossier closed (its status becomes CLOSED): POINTS.dossierClosed (5)
 * Scores are a projection: the database is the truth, and a score that could not be written while
 * Redis was down is logged and lost, never retried twice.
 *
 * Dossier activity: the seed's `sortedSet.add('dossier-activity', dossierId, Date.now())`, one set per
 * cabinet: each event sets the dossier's score to the time of its last activity, so `top` gives the
 * dossiers worked on most recently.
 */
import { nowOrAfterAnswer, sortedSet as defaultSortedSet, type ScoredMember, type SortedSet } from '@/lib/upstash'

export const TENANT_LEADERBOARD = 'tenant-leaderboard'
export const POINTS = { dossierCreated: 1, analysisCompleted: 3, dossierClosed: 5 } as const
export type ScoredEvent = keyof typeof POINTS

const activityKey = (tenantId: string) => `dossier-activity:${tenantId}`

export function createLeaderboard(sortedSet: SortedSet = defaultSortedSet) {
  return {
    /** Adds `points` (may be negative) to a cabinet's score; returns the new score. 1 command. */
    updateTenantScore(tenantId: string, points: number): Promise<number> {
      return sortedSet.increment(TENANT_LEADERBOARD, tenantId, points)
    },
    /** The `n` best cabinets (10 by default), best first, as `{ member: tenantId, score }`. 1 command. */
    getTopTenants(n = 10): Promise<ScoredMember[]> {
      return sortedSet.top(TENANT_LEADERBOARD, n)
    },
    /** A cabinet's 0-based place (0 = first), null when it has no score yet. 1 command. */
    getTenantRank(tenantId: string): Promise<number | null> {
      return sortedSet.rank(TENANT_LEADERBOARD, tenantId)
    },
    /** Records activity on a dossier now. 1 command. */
    touchDossier(tenantId: string, dossierId: string, at = Date.now()): Promise<boolean> {
      return sortedSet.add(activityKey(tenantId), dossierId, at)
    },
    /** Forgets a deleted dossier. 1 command. */
    forgetDossier(tenantId: string, dossierId: string): Promise<number> {
      return sortedSet.remove(activityKey(tenantId), dossierId)
    },
    /** The cabinet's `n` most recently active dossiers, `{ member: dossierId, score: epoch ms }`. 1 command. */
    getActiveDossiers(tenantId: string, n = 10): Promise<ScoredMember[]> {
      return sortedSet.top(activityKey(tenantId), n)
    },
    /**
     * Scores an event for a cabinet and records the dossier's activity, in one round trip. Never
     * throws: a failure (Redis down) is logged, the database stays the truth.
     */
    async record(tenantId: string, dossierId: string, events: ScoredEvent[]): Promise<void> {
      // After the answer when the request's Redis budget is already spent: a score is not dropped for that.
      await nowOrAfterAnswer(() => recordNow(tenantId, dossierId, events))
    },
  }

  /** Scores and records the activity in one round trip; a failure is logged, never thrown. */
  async function recordNow(tenantId: string, dossierId: string, events: ScoredEvent[]): Promise<void> {
    const points = events.reduce((sum, e) => sum + POINTS[e], 0)
    const results = await Promise.allSettled([
      points !== 0 ? sortedSet.increment(TENANT_LEADERBOARD, tenantId, points) : Promise.resolve(0),
      sortedSet.add(activityKey(tenantId), dossierId, Date.now()),
    ])
    for (const r of results) {
      if (r.status === 'rejected') console.warn(`[leaderboard] cabinet ${tenantId}, dossier ${dossierId} (${events.join(', ') || 'activity'}): not recorded: ${(r.reason as Error)?.message ?? r.reason}`)
    }
  }
}

export type Leaderboard = ReturnType<typeof createLeaderboard>

const app = createLeaderboard()
/** The seed's functions, and the app's, on the app's Redis. */
export const { updateTenantScore, getTopTenants, getTenantRank, touchDossier, forgetDossier, getActiveDossiers, record } = app
export const leaderboard = app
