import type { PrismaClient } from '@/generated/prisma/client'
import { prisma as defaultPrisma } from '@/lib/core/prisma'

/** What the list shows beside each dossier, read from the database (no Redis command). */
export interface DossierListExtras {
  /** The latest finished analysis's urgency (BASSE, NORMALE, HAUTE, CRITIQUE); null: never analysed. */
  urgency: string | null
  /** The soonest confirmed deadline not done (an overdue one included); null: none. */
  nextDeadline: { dueAt: Date; title: string } | null
}

/**
 * The extras of one list page's dossiers (at most a page's ids): two indexed queries, uncached so a
 * deadline just confirmed or an analysis just finished shows at once without invalidating the pages.
 */
export async function listExtras(
  tenantId: string,
  ids: string[],
  prisma: Pick<PrismaClient, 'analysis' | 'deadline'> = defaultPrisma,
): Promise<Map<string, DossierListExtras>> {
  const out = new Map<string, DossierListExtras>(ids.map((id) => [id, { urgency: null, nextDeadline: null }]))
  if (ids.length === 0) return out
  const [analyses, deadlines] = await Promise.all([
    prisma.analysis.findMany({
      where: { tenantId, dossierId: { in: ids }, status: 'DONE' },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      select: { dossierId: true, urgency: true },
    }),
    prisma.deadline.findMany({
      where: { tenantId, dossierId: { in: ids }, status: 'confirmed', done: false },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      select: { dossierId: true, dueAt: true, title: true },
    }),
  ])
  for (const a of analyses) {
    const e = out.get(a.dossierId)!
    if (e.urgency === null) e.urgency = a.urgency
  }
  for (const d of deadlines) {
    const e = out.get(d.dossierId)!
    if (e.nextDeadline === null) e.nextDeadline = { dueAt: d.dueAt, title: d.title }
  }
  return out
}
