import type { PrismaClient } from '@/generated/prisma/client'
import { prisma as defaultPrisma } from '@/lib/prisma'

/** One cabinet's analyses by status, from its own database rows. */
export interface CabinetAnalysisCounts {
  /** Requested, not started yet (QUEUED, retries waiting included). */
  waiting: number
  /** Being analysed now (RUNNING). */
  running: number
  done: number
  failed: number
}

/**
 * Counts a cabinet's analyses by status in the database: free (no Redis command), and nothing of
 * another cabinet's in it, unlike the shared Redis queue's counts.
 */
export async function cabinetAnalysisCounts(tenantId: string, prisma: Pick<PrismaClient, 'analysis'> = defaultPrisma): Promise<CabinetAnalysisCounts> {
  const groups = await prisma.analysis.groupBy({ by: ['status'], where: { tenantId }, _count: { _all: true } })
  const of = (status: string) => groups.find((g) => g.status === status)?._count._all ?? 0
  return { waiting: of('QUEUED'), running: of('RUNNING'), done: of('DONE'), failed: of('FAILED') }
}
