import type { Analysis, PrismaClient } from '@/generated/prisma/client'
import { prisma as defaultPrisma } from '@/lib/core/prisma'
import { cabinetCache, reviveDates, toJson, type CabinetCache, type Read } from '@/lib/tenants/cabinet-cache'

/** A dossier's latest analysis, as pages and the API show it. */
export type AnalysisView = Pick<
  Analysis,
  | 'id'
  | 'status'
  | 'attempts'
  | 'error'
  | 'domain'
  | 'urgency'
  | 'urgencyReason'
  | 'summary'
  | 'analyzer'
  | 'createdAt'
  | 'startedAt'
  | 'completedAt'
> & { keyDates: { date: string; context: string }[]; amounts: { amount: number; context: string }[] }

/** One cabinet's analyses by status, from its own database rows. */
export interface CabinetAnalysisCounts {
  /** Requested, not started yet (QUEUED, retries waiting included). */
  waiting: number
  /** Being analysed now (RUNNING). */
  running: number
  done: number
  failed: number
}

/** What a cabinet's lawyers want to know of its analyses: are they moving? */
export interface CabinetAnalysisActivity {
  /** Requested, not started yet. */
  waiting: number
  /** Being analysed now. */
  running: number
  /** Finished since `since` (the start of the day). */
  doneToday: number
  /** Failed since `since`. */
  failedToday: number
  /** When the cabinet's last analysis finished; null: none ever did. */
  lastCompletedAt: Date | null
}

export interface AnalysisReadDeps {
  prisma: Pick<PrismaClient, 'analysis'>
  cabinetCache: CabinetCache
}

const ANALYSIS_DATES = ['createdAt', 'startedAt', 'completedAt'] as const

/** The analyses' read side: cached with the cabinet's other reads, invalidated by the writes of analyses.ts's pipeline. */
export function createAnalysisReads({ prisma, cabinetCache: cabinet }: AnalysisReadDeps) {
  return {
    /** The dossier's latest analysis, or null when none was ever requested. */
    async getLatestAnalysis(tenantId: string, dossierId: string): Promise<Read<AnalysisView | null>> {
      const read = await cabinet.read(tenantId, `analysis:${dossierId}`, async () => {
        const row = await prisma.analysis.findFirst({
          where: { dossierId, tenantId },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        })
        return row && toJson(analysisView(row))
      })
      return { ...read, data: read.data && reviveDates<AnalysisView>(read.data, ANALYSIS_DATES) }
    },

    /** The cabinet's analyses now and since `since` (the start of today), from its own rows: no Redis command. */
    async activityOf(tenantId: string, since: Date): Promise<CabinetAnalysisActivity> {
      const [pending, today, last] = await Promise.all([
        prisma.analysis.groupBy({
          by: ['status'],
          where: { tenantId, status: { in: ['QUEUED', 'RUNNING'] } },
          _count: { _all: true },
        }),
        prisma.analysis.groupBy({
          by: ['status'],
          where: { tenantId, status: { in: ['DONE', 'FAILED'] }, completedAt: { gte: since } },
          _count: { _all: true },
        }),
        prisma.analysis.findFirst({
          where: { tenantId, status: 'DONE', completedAt: { not: null } },
          orderBy: { completedAt: 'desc' },
          select: { completedAt: true },
        }),
      ])
      const of = (groups: typeof pending, status: string) => groups.find((g) => g.status === status)?._count._all ?? 0
      return {
        waiting: of(pending, 'QUEUED'),
        running: of(pending, 'RUNNING'),
        doneToday: of(today, 'DONE'),
        failedToday: of(today, 'FAILED'),
        lastCompletedAt: last?.completedAt ?? null,
      }
    },

    /** The cabinet's analyses by status, counted in the database: free, and nothing of another cabinet's in it, unlike the shared queue's counts. */
    async countsOf(tenantId: string): Promise<CabinetAnalysisCounts> {
      const groups = await prisma.analysis.groupBy({ by: ['status'], where: { tenantId }, _count: { _all: true } })
      const of = (status: string) => groups.find((g) => g.status === status)?._count._all ?? 0
      return { waiting: of('QUEUED'), running: of('RUNNING'), done: of('DONE'), failed: of('FAILED') }
    },
  }
}

export type AnalysisReads = ReturnType<typeof createAnalysisReads>

/** The stored JSON of an analysis's lists; anything unreadable counts as empty. */
function parseList<T>(json: string | null): T[] {
  if (!json) return []
  try {
    const v = JSON.parse(json) as unknown
    return Array.isArray(v) ? (v as T[]) : []
  } catch {
    return []
  }
}

function analysisView(a: Analysis): AnalysisView {
  const {
    id,
    status,
    attempts,
    error,
    domain,
    urgency,
    urgencyReason,
    summary,
    analyzer,
    createdAt,
    startedAt,
    completedAt,
  } = a
  return {
    id,
    status,
    attempts,
    error,
    domain,
    urgency,
    urgencyReason,
    summary,
    analyzer,
    createdAt,
    startedAt,
    completedAt,
    keyDates: parseList(a.keyDates),
    amounts: parseList(a.amounts),
  }
}

let defaults: AnalysisReads | undefined
/** The app's analysis reads (process-wide Prisma, the app's cabinet cache). */
export const analysisReads = (): AnalysisReads =>
  (defaults ??= createAnalysisReads({ prisma: defaultPrisma, cabinetCache: cabinetCache() }))
