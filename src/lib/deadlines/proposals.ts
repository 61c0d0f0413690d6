/**
 * Deadlines the analysis proposes: dated sentences of a dossier become proposals with no reminder,
 * which a lawyer confirms (reminders then follow) or dismisses (kept, so never proposed again).
 */
import type { PrismaClient } from '@/generated/prisma/client'
import { HttpError } from '@/lib/core/http-error'
import { parseInput } from '@/lib/upstash'
import { z } from 'zod'
import {
  contextSchema,
  toDeadlineView,
  withDossier,
  type DeadlineAccess,
  type DeadlineContext,
  type DeadlineView,
} from './access'
import { parisLocalToInstant } from '@/lib/core/paris-time'
import type { Reminders } from '@/lib/mail/reminders'
import { DEADLINE_KIND_LABELS, type DeadlineKind } from '@/lib/core/deadline-kinds'
import { DEFAULT_DUE_HOUR, foundDateSchema, type DeadlineStatus, type FoundDate } from './schemas'

/** The kind a sentence suggests (folded, accents removed). */
export function guessKind(context: string): DeadlineKind {
  const t = context
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
  if (/\b(audiences?|plaidoiries?|convoc\w*|convoqu\w*|refere|delibere|comparution)\b/.test(t)) return 'audience'
  if (/\bprescri\w*/.test(t)) return 'prescription'
  if (/\b(rendez-vous|rdv|reunion|expertise|signature)\b/.test(t)) return 'rendez_vous'
  if (
    /\b(delais?|forclusion|recours|appel|date limite|au plus tard|avant le|jusqu'au|echeances?|expir\w*|conclusions?)\b/.test(
      t,
    )
  )
    return 'delai_procedure'
  return 'autre'
}

export interface ProposalDeps {
  prisma: Pick<PrismaClient, 'deadline'>
  now: () => number
  reminders: Reminders
  access: DeadlineAccess
}

/** proposeFromAnalysis, confirm and dismiss: the deadline service's part for proposals. */
export function deadlineProposals({ prisma, now, reminders, access }: ProposalDeps) {
  const { ctxOf, ownDossier, own, remindable } = access
  return {
    /**
     * The analysis' future dates become proposed deadlines (no reminder until confirmed), due at 09:00
     * Paris on that day. Idempotent: one proposal per dossier and date, ever (a dismissed one is not proposed
     * again; an edited one is not duplicated). Returns the proposals this call created.
     */
    async proposeFromAnalysis(
      ctx: Pick<DeadlineContext, 'cabinetId'>,
      dossierId: string,
      dates: FoundDate[],
    ): Promise<DeadlineView[]> {
      const cabinetId = parseInput(contextSchema.shape.cabinetId, ctx.cabinetId, 'deadlines: context.cabinetId')
      const found = parseInput(z.array(foundDateSchema).max(50), dates, 'dates')
      await ownDossier(cabinetId, dossierId)
      const created: DeadlineView[] = []
      for (const { date, context } of found) {
        const [year, month, day] = date.split('-').map(Number) as [number, number, number]
        const dueAt = parisLocalToInstant({ year, month, day, hour: DEFAULT_DUE_HOUR })
        if (dueAt.getTime() <= now()) continue
        const kind = guessKind(context)
        const title = (context.replace(/\s+/g, ' ').trim() || `${DEADLINE_KIND_LABELS[kind]} du ${date}`).slice(0, 200)
        const sourceKey = `analysis:${date}`
        try {
          const row = await prisma.deadline.create({
            data: {
              tenantId: cabinetId,
              dossierId,
              title,
              dueAt,
              kind,
              source: 'analysis',
              status: 'proposed',
              sourceKey,
            },
            include: withDossier,
          })
          created.push(toDeadlineView(row))
        } catch (err) {
          // Already proposed for this dossier and date (another run, a redelivered job): nothing to do.
          if ((err as { code?: string }).code !== 'P2002') throw err
        }
      }
      return created
    },

    /** A lawyer confirms a proposal (or re-confirms a dismissed one): reminders are scheduled. Confirming a confirmed deadline changes nothing. */
    async confirm(ctx: DeadlineContext, deadlineId: string): Promise<DeadlineView> {
      const { cabinetId } = ctxOf(ctx)
      reminders.check()
      const before = await own(cabinetId, deadlineId)
      if (before.status === 'confirmed') return toDeadlineView(before)
      // Compare-and-set on the status: two confirmations at once schedule once.
      const wanted = !before.done && before.dueAt.getTime() > now()
      const { count } = await prisma.deadline.updateMany({
        where: { id: before.id, tenantId: cabinetId, status: before.status as DeadlineStatus },
        data: { status: 'confirmed', reminderVersion: { increment: 1 }, remindersPending: wanted },
      })
      const after = await own(cabinetId, deadlineId)
      if (count === 1 && remindable(after)) await reminders.sync(after)
      return toDeadlineView(after)
    },

    /** A lawyer turns a proposal down: kept (so it is never proposed again) but hidden. A confirmed deadline is deleted instead (409). */
    async dismiss(ctx: DeadlineContext, deadlineId: string): Promise<DeadlineView> {
      const { cabinetId } = ctxOf(ctx)
      const before = await own(cabinetId, deadlineId)
      if (before.status === 'confirmed')
        throw new HttpError(409, 'a confirmed deadline cannot be dismissed: delete it (DELETE /api/deadlines/:id)')
      if (before.status === 'dismissed') return toDeadlineView(before)
      const after = await prisma.deadline.update({
        where: { id: before.id },
        data: { status: 'dismissed' },
        include: withDossier,
      })
      return toDeadlineView(after)
    },
  }
}
