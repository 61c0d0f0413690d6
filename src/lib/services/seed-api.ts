/**
 * The user's guide's own functions (shared/seed/upstash-setup.fr.md, "Cas d'usage"), by the names it
 * gives them, over the app's services: code written from the guide works as written.
 */
import { aiPipeline } from './analyses'
import type { AIAnalysisTask } from '@/lib/analyses/job'
import type { DossierListItem } from '@/lib/dossiers/paging'
import { dossiers } from '@/lib/dossiers/service'
import { leaderboard } from '@/lib/scores/leaderboard'
import type { JobOutcome, ProcessOptions, ScoredMember } from '@/lib/upstash'

/**
 * The cabinet's dossiers, newest first, through the cache, page by page (each page its own bounded
 * cache entry; 1 command per page on a hit). List items: no description.
 */
export async function getCachedDossiers(tenantId: string): Promise<DossierListItem[]> {
  const all: DossierListItem[] = []
  let cursor: string | undefined
  do {
    const { data } = await dossiers().listDossierPage(tenantId, { cursor })
    all.push(...data.dossiers)
    cursor = data.nextCursor ?? undefined
  } while (cursor)
  return all
}

/** Queues an analysis of a dossier (whatever its cabinet: server-side use only); returns the job id. */
export function queueAIAnalysis(dossierId: string, priority?: AIAnalysisTask['priority']): Promise<string> {
  return aiPipeline().queueAIAnalysis(dossierId, priority)
}

/** Processes one job of the analysis queue. */
export function processAIQueue(options?: ProcessOptions): Promise<JobOutcome<unknown>> {
  return aiPipeline().processAIQueue(options)
}

/** Adds `points` (may be negative) to a cabinet's score; returns the new score. The app itself scores through the dossier service. */
export function updateTenantScore(tenantId: string, points: number): Promise<number> {
  return leaderboard.updateTenantScore(tenantId, points)
}

/** The 10 best cabinets, best first, as `{ member: tenantId, score }`. */
export function getTopTenants(n = 10): Promise<ScoredMember[]> {
  return leaderboard.getTopTenants(n)
}
