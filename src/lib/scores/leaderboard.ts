/**
 * The cabinets' leaderboard (sorted set `tenant-leaderboard`) and each cabinet's dossier activity
 * (sorted set `dossier-activity:<tenantId>`), as in the user's guide.
 *
 * Scoring is decided here and only here (`recordChange`), from what a write did to a dossier. Each
 * dossier earns each kind of points once, whatever is reopened or re-run:
 *   - created: POINTS.dossierCreated (1): once by construction, every insert is a fresh id (a cuid);
 *   - its first completed analysis: POINTS.analysisCompleted (3);
 *   - its first close (status becomes CLOSED, at creation or later): POINTS.dossierClosed (5).
 * "Already earned" lives in Redis, in the sorted set `leaderboard-earned:<tenantId>` (member
 * `<event>:<dossierId>`, score = when last claimed): ZADD answers 1 only to the call that added the member,
 * atomically, so exactly one of any number of concurrent requests on any number of instances scores
 * it. Nothing is removed when a dossier is deleted, so its points are never earned twice.
 *
 * Billed Upstash commands per write: create 2 (ZINCRBY, ZADD activity; 3 when created CLOSED);
 * a first close or first completed analysis 3 (ZADD claim ‖ ZADD activity, then ZINCRBY: 2 round
 * trips); a close or analysis already scored 2; any other update 1; a delete 1 (ZREM activity).
 *
 * Scores are a projection: the database is the truth. A failure is logged and the points are lost,
 * never counted twice (a claim whose answer is unknown is treated as not ours).
 *
 * Dossier activity: the seed's `sortedSet.add('dossier-activity', dossierId, Date.now())`, one set per
 * cabinet: each event sets the dossier's score to the time of its last activity, so `top` gives the
 * dossiers worked on most recently.
 */
import { prisma as defaultPrisma } from '@/lib/core/prisma'
import { nowOrAfterAnswer, sortedSet as defaultSortedSet, type ScoredMember, type SortedSet } from '@/lib/upstash'

export const TENANT_LEADERBOARD = 'tenant-leaderboard'
export const POINTS = { dossierCreated: 1, analysisCompleted: 3, dossierClosed: 5 } as const
export type ScoredEvent = keyof typeof POINTS

/** The events a dossier earns once only: creation needs no record (a new row is a new id). */
const ONCE_PER_DOSSIER: ReadonlySet<ScoredEvent> = new Set(['analysisCompleted', 'dossierClosed'])

/** A dossier as scoring sees it. */
export interface ScoredDossier {
  id: string
  status: string
}

/** What a write did to one dossier: the only input of scoring. */
export type DossierChange =
  | { kind: 'created'; after: ScoredDossier }
  | { kind: 'updated'; before: ScoredDossier; after: ScoredDossier }
  /** An analysis of the dossier became DONE, reported only by the call whose compare-and-set did it. */
  | { kind: 'analysisCompleted'; dossierId: string }
  | { kind: 'deleted'; dossierId: string }

/**
 * The events a change is a candidate for, before the once-per-dossier check: a close is a status
 * becoming CLOSED (an edit of a dossier already closed is not one).
 */
export function candidateEvents(change: DossierChange): ScoredEvent[] {
  switch (change.kind) {
    case 'created':
      return change.after.status === 'CLOSED' ? ['dossierCreated', 'dossierClosed'] : ['dossierCreated']
    case 'updated':
      return change.after.status === 'CLOSED' && change.before.status !== 'CLOSED' ? ['dossierClosed'] : []
    case 'analysisCompleted':
      return ['analysisCompleted']
    case 'deleted':
      return []
  }
}

const dossierOf = (change: DossierChange): string => ('dossierId' in change ? change.dossierId : change.after.id)
const activityKey = (tenantId: string) => `dossier-activity:${tenantId}`
const earnedKey = (tenantId: string) => `leaderboard-earned:${tenantId}`

/** A cabinet's place: `rank` is 1 + the number of cabinets with more points (ties share a rank). */
export interface Standing {
  tenantId: string
  score: number
  rank: number
}

/** The leaderboard as shown: the best cabinets with points, and the caller's cabinet always. */
export interface Standings {
  /** The best cabinets with at least one point, best first (the caller's too when it is among them). */
  top: Standing[]
  /** The caller's cabinet, even at 0 points or below the shown ones. */
  yours: Standing
}

export function createLeaderboard(sortedSet: SortedSet = defaultSortedSet) {
  return {
    /** Adds `points` (may be negative) to a cabinet's score; returns the new score. 1 command. The seed's; the app scores through recordChange. */
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
    /** The cabinet's `n` most recently active dossiers, `{ member: dossierId, score: epoch ms }`. 1 command. */
    getActiveDossiers(tenantId: string, n = 10): Promise<ScoredMember[]> {
      return sortedSet.top(activityKey(tenantId), n)
    },

    /**
     * The `n` best cabinets with points and the caller's cabinet, ranked with ties shared.
     * 1 command (ZRANGE) when the caller is among them or the board holds fewer than `n` cabinets;
     * else 3 (then ZSCORE, then ZCOUNT). Throws when Redis cannot be reached.
     */
    async standings(tenantId: string, n = 10): Promise<Standings> {
      const best = await sortedSet.top(TENANT_LEADERBOARD, n)
      const top: Standing[] = []
      best.forEach(({ member, score }, i) => {
        // The list is the head of the whole ranking, so everything above an entry is in it.
        const rank = i > 0 && best[i - 1]!.score === score ? top[i - 1]!.rank : i + 1
        top.push({ tenantId: member, score, rank })
      })
      const shown = top.filter((s) => s.score > 0 || s.tenantId === tenantId)
      const mine = top.find((s) => s.tenantId === tenantId)
      if (mine) return { top: shown, yours: mine }
      if (best.length < n) {
        // The whole board is in `best` and the caller is not on it: 0 points, after every cabinet with more.
        return { top: shown, yours: { tenantId, score: 0, rank: 1 + best.filter((b) => b.score > 0).length } }
      }
      const score = (await sortedSet.score(TENANT_LEADERBOARD, tenantId)) ?? 0
      return {
        top: shown,
        yours: { tenantId, score, rank: 1 + (await sortedSet.countAbove(TENANT_LEADERBOARD, score)) },
      }
    },

    /**
     * Scores what a write did to a dossier (the one place that decides which events score) and records
     * its activity. Call it after the write succeeded. Never throws: a failure (Redis down) is logged,
     * the database stays the truth.
     */
    async recordChange(tenantId: string, change: DossierChange): Promise<void> {
      // After the answer when the request's Redis budget is already spent: a score is not dropped for that.
      await nowOrAfterAnswer(() => recordNow(tenantId, change))
    },
  }

  async function recordNow(tenantId: string, change: DossierChange): Promise<void> {
    const dossierId = dossierOf(change)
    const warn = (what: string, err: unknown) =>
      console.warn(
        `[leaderboard] cabinet ${tenantId}, dossier ${dossierId} (${change.kind}): ${what} not recorded: ${(err as Error)?.message ?? err}`,
      )
    if (change.kind === 'deleted') {
      // Its claims stay: a dossier re-created under this id (cuids make it unlikely) earns nothing again.
      await sortedSet.remove(activityKey(tenantId), dossierId).catch((err: unknown) => warn('activity removal', err))
      return
    }
    const events = candidateEvents(change)
    const now = Date.now()
    const activity = sortedSet.add(activityKey(tenantId), dossierId, now).catch((err: unknown) => warn('activity', err))
    const earned = await Promise.all(
      events.map(async (event) => {
        if (!ONCE_PER_DOSSIER.has(event)) return true
        // ZADD's answer says whether this call added the claim: true for exactly one caller, ever.
        return sortedSet.add(earnedKey(tenantId), `${event}:${dossierId}`, now).catch((err: unknown) => {
          warn(`${event} claim`, err)
          return false
        })
      }),
    )
    const points = events.reduce((sum, e, i) => (earned[i] ? sum + POINTS[e] : sum), 0)
    if (points !== 0)
      await sortedSet
        .increment(TENANT_LEADERBOARD, tenantId, points)
        .catch((err: unknown) => warn(`${points} points`, err))
    await activity
  }
}

export type Leaderboard = ReturnType<typeof createLeaderboard>

/** One line of the leaderboard as pages and GET /api/leaderboard show it. */
export interface LeaderboardRow {
  rank: number
  id: string
  name: string
  score: number
  /** The caller's cabinet. */
  you: boolean
}

/**
 * The leaderboard for a caller's cabinet, with names from the database: the best cabinets with points,
 * then the caller's when it is not among them. Ids of cabinets that no longer exist are left out, never
 * shown raw. Throws when Redis cannot be reached.
 */
export async function cabinetLeaderboard(
  tenantId: string,
  deps: { board?: Leaderboard; prisma?: Pick<typeof defaultPrisma, 'tenant'>; n?: number } = {},
): Promise<LeaderboardRow[]> {
  const { top, yours } = await (deps.board ?? app).standings(tenantId, deps.n ?? 10)
  const rows = top.some((s) => s.tenantId === tenantId) ? top : [...top, yours]
  const tenants = await (deps.prisma ?? defaultPrisma).tenant.findMany({
    where: { id: { in: rows.map((r) => r.tenantId) } },
    select: { id: true, name: true },
  })
  const names = new Map(tenants.map((t) => [t.id, t.name]))
  return rows.flatMap((s) =>
    names.has(s.tenantId)
      ? [{ rank: s.rank, id: s.tenantId, name: names.get(s.tenantId)!, score: s.score, you: s.tenantId === tenantId }]
      : [],
  )
}

const app = createLeaderboard()
/** The seed's functions, and the app's, on the app's Redis. */
export const { updateTenantScore, getTopTenants, getActiveDossiers, recordChange } = app
export const leaderboard = app
