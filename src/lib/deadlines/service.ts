/**
 * Échéances (deadlines) of a cabinet's dossiers. Every function takes the caller's context
 * `{ cabinetId, userId }` (from the session, never the URL): another cabinet's dossier or deadline is
 * a 404, exactly like one that does not exist. Reminders (reminders.ts) follow every change:
 *   create (manual → confirmed) and confirm schedule them; moving dueAt or reopening bumps
 *   reminderVersion and schedules the new ones; moving, completing, deleting or dismissing cancels the
 *   old ones (and the send-time check drops them anyway). Proposals from the analysis wait unconfirmed,
 *   with no reminder, until a lawyer confirms, edits or dismisses them.
 */
import type { PrismaClient } from '@/generated/prisma/client'
import { HttpError } from '@/lib/core/http-error'
import { prisma as defaultPrisma } from '@/lib/core/prisma'
import { parseInput } from '@/lib/upstash'
import {
  BadRequest,
  deadlineAccess,
  toDeadlineView,
  withDossier,
  type DeadlineContext,
  type DeadlineView,
} from './access'
import { deadlineProposals } from './proposals'
import { createReminders, type Reminders } from '@/lib/mail/reminders'
import { deadlineCreateSchema, deadlineListQuerySchema, deadlineUpdateSchema } from './schemas'

export { toDeadlineView, type DeadlineContext, type DeadlineView } from './access'
export { guessKind } from './proposals'

/** The list's size when the caller does not say (the API's `limit`, at most 500). */
export const DEFAULT_LIST_LIMIT = 200

export interface DeadlineServiceDeps {
  prisma?: Pick<PrismaClient, 'deadline' | 'dossier' | 'user'>
  reminders?: Reminders
  now?: () => number
}

export function createDeadlineService(deps: DeadlineServiceDeps = {}) {
  const prisma = deps.prisma ?? defaultPrisma
  const now = deps.now ?? Date.now
  const reminders = deps.reminders ?? createReminders({ prisma, now })
  const access = deadlineAccess(prisma, now)
  const { ctxOf, ownDossier, own, remindable } = access

  return {
    /** POST /api/dossiers/:id/deadlines → 201: a manual deadline, confirmed, reminders scheduled. */
    async create(ctx: DeadlineContext, dossierId: string, input: unknown): Promise<DeadlineView> {
      const { cabinetId } = ctxOf(ctx)
      const body = parseInput(deadlineCreateSchema, input, 'deadline', BadRequest)
      reminders.check()
      await ownDossier(cabinetId, dossierId)
      const wanted = body.dueAt.getTime() > now()
      const d = await prisma.deadline.create({
        data: {
          tenantId: cabinetId,
          dossierId,
          title: body.title,
          dueAt: body.dueAt,
          kind: body.kind ?? 'autre',
          source: 'manual',
          status: 'confirmed',
          remindersPending: wanted,
        },
        include: withDossier,
      })
      if (wanted) await reminders.sync(d)
      return toDeadlineView(d)
    },

    /** GET /api/deadlines[?from=&to=&limit=&includeDone=]: the cabinet's, soonest first, proposals included, dismissed ones not. */
    async list(ctx: DeadlineContext, query: unknown = {}): Promise<DeadlineView[]> {
      const { cabinetId } = ctxOf(ctx)
      const q = parseInput(deadlineListQuerySchema, query, 'query', BadRequest)
      const rows = await prisma.deadline.findMany({
        where: {
          tenantId: cabinetId,
          status: { not: 'dismissed' },
          ...(q.includeDone ? {} : { done: false }),
          ...(q.from || q.to ? { dueAt: { ...(q.from ? { gte: q.from } : {}), ...(q.to ? { lte: q.to } : {}) } } : {}),
        },
        include: withDossier,
        orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
        take: q.limit ?? DEFAULT_LIST_LIMIT,
      })
      return rows.map(toDeadlineView)
    },

    /** The dossier page's list: all but dismissed, done ones included, soonest first. 404 for another cabinet's dossier. */
    async listForDossier(ctx: DeadlineContext, dossierId: string): Promise<DeadlineView[]> {
      const { cabinetId } = ctxOf(ctx)
      await ownDossier(cabinetId, dossierId)
      const rows = await prisma.deadline.findMany({
        where: { tenantId: cabinetId, dossierId, status: { not: 'dismissed' } },
        include: withDossier,
        orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
        take: 500,
      })
      return rows.map(toDeadlineView)
    },

    /** PATCH /api/deadlines/:id { title?, dueAt?, kind?, done? }. */
    async update(ctx: DeadlineContext, deadlineId: string, input: unknown): Promise<DeadlineView> {
      const { cabinetId } = ctxOf(ctx)
      const patch = parseInput(deadlineUpdateSchema, input, 'deadline', BadRequest)
      reminders.check()
      const before = await own(cabinetId, deadlineId)
      const moved = patch.dueAt !== undefined && patch.dueAt.getTime() !== before.dueAt.getTime()
      const doneChanged = patch.done !== undefined && patch.done !== before.done
      // A new version whenever the reminders must change: every queued one of the old version is then dropped at send time.
      const bump = moved || doneChanged
      const wanted =
        before.status === 'confirmed' && !(patch.done ?? before.done) && (patch.dueAt ?? before.dueAt).getTime() > now()
      const after = await prisma.deadline.update({
        where: { id: before.id },
        data: {
          title: patch.title,
          dueAt: patch.dueAt,
          kind: patch.kind,
          ...(doneChanged ? { done: patch.done, doneAt: patch.done ? new Date(now()) : null } : {}),
          ...(bump ? { reminderVersion: { increment: 1 }, remindersPending: wanted } : {}),
        },
        include: withDossier,
      })
      if (bump && before.status === 'confirmed') {
        await reminders.cancel(before, before.reminderVersion)
        if (remindable(after)) await reminders.sync(after)
      }
      return toDeadlineView(after)
    },

    /** DELETE /api/deadlines/:id: its reminders are cancelled (and dropped at send time in any case). */
    async remove(ctx: DeadlineContext, deadlineId: string): Promise<void> {
      const { cabinetId } = ctxOf(ctx)
      const d = await own(cabinetId, deadlineId)
      const { count } = await prisma.deadline.deleteMany({ where: { id: d.id, tenantId: cabinetId } })
      if (count === 0) throw new HttpError(404, 'deadline not found')
      if (d.status === 'confirmed' && !d.done) await reminders.cancel(d, d.reminderVersion)
    },

    ...deadlineProposals({ prisma, now, reminders, access }),
  }
}

export type DeadlineService = ReturnType<typeof createDeadlineService>

let defaultService: DeadlineService | undefined

/** The process's service (the app's database and queue). */
export function deadlines(): DeadlineService {
  defaultService ??= createDeadlineService()
  return defaultService
}
