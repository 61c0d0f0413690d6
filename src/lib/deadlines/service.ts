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
import { HttpError } from '@/lib/http-error'
import { prisma as defaultPrisma } from '@/lib/prisma'
import { parseInput } from '@/lib/upstash'
import { formatDateTimeFr, parisLocalToInstant } from './paris-time'
import { createReminders, type Reminders } from './reminders'
import {
  DEADLINE_KIND_LABELS,
  DEFAULT_DUE_HOUR,
  deadlineCreateSchema,
  deadlineIdSchema,
  deadlineListQuerySchema,
  deadlineUpdateSchema,
  foundDateSchema,
  type DeadlineKind,
  type DeadlineStatus,
  type FoundDate,
} from './schemas'
import { z } from 'zod'

/** Who is asking: the session's cabinet and user. */
export interface DeadlineContext {
  cabinetId: string
  userId: string
}

/** A deadline as the API and pages show it. */
export interface DeadlineView {
  id: string
  dossierId: string
  dossier: { id: string; reference: string; title: string }
  title: string
  /** ISO 8601 (UTC). */
  dueAt: string
  /** « mardi 12 janvier 2027 à 09:30 » (Europe/Paris). */
  dueAtLabel: string
  kind: DeadlineKind
  kindLabel: string
  source: 'manual' | 'analysis'
  status: DeadlineStatus
  done: boolean
  doneAt: string | null
  createdAt: string
  updatedAt: string
}

type Row = {
  id: string
  tenantId: string
  dossierId: string
  title: string
  dueAt: Date
  kind: string
  source: string
  status: string
  done: boolean
  doneAt: Date | null
  reminderVersion: number
  createdAt: Date
  updatedAt: Date
  dossier: { id: string; reference: string; title: string }
}

const withDossier = { dossier: { select: { id: true, reference: true, title: true } } } as const

export function toDeadlineView(d: Row): DeadlineView {
  return {
    id: d.id,
    dossierId: d.dossierId,
    dossier: d.dossier,
    title: d.title,
    dueAt: d.dueAt.toISOString(),
    dueAtLabel: formatDateTimeFr(d.dueAt),
    kind: d.kind as DeadlineKind,
    kindLabel: DEADLINE_KIND_LABELS[d.kind as DeadlineKind],
    source: d.source as DeadlineView['source'],
    status: d.status as DeadlineStatus,
    done: d.done,
    doneAt: d.doneAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  }
}

/** The list's size when the caller does not say (the API's `limit`, at most 500). */
export const DEFAULT_LIST_LIMIT = 200

export interface DeadlineServiceDeps {
  prisma?: Pick<PrismaClient, 'deadline' | 'dossier' | 'user'>
  reminders?: Reminders
  now?: () => number
}

const contextSchema = z.object({
  cabinetId: z.string().min(1, 'cabinetId must not be empty'),
  userId: z.string().min(1, 'userId must not be empty'),
})
const dossierIdSchema = z
  .string({ error: 'dossierId must be a string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'dossierId must be a dossier id' })

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

export function createDeadlineService(deps: DeadlineServiceDeps = {}) {
  const prisma = deps.prisma ?? defaultPrisma
  const now = deps.now ?? Date.now
  const reminders = deps.reminders ?? createReminders({ prisma, now })

  const ctxOf = (ctx: DeadlineContext) => parseInput(contextSchema, ctx, 'deadlines: context')

  /** The dossier, if it is this cabinet's; else 404 (never says it exists elsewhere). */
  async function ownDossier(cabinetId: string, dossierId: string) {
    const id = parseInput(dossierIdSchema, dossierId, 'dossierId', NotFound)
    const dossier = await prisma.dossier.findFirst({ where: { id, tenantId: cabinetId }, select: { id: true } })
    if (!dossier) throw new HttpError(404, 'dossier not found')
    return dossier
  }

  async function own(cabinetId: string, deadlineId: string): Promise<Row> {
    const id = parseInput(deadlineIdSchema, deadlineId, 'id', NotFound)
    const d = await prisma.deadline.findFirst({ where: { id, tenantId: cabinetId }, include: withDossier })
    if (!d) throw new HttpError(404, 'deadline not found')
    return d
  }

  const remindable = (d: Pick<Row, 'status' | 'done' | 'dueAt'>) =>
    d.status === 'confirmed' && !d.done && d.dueAt.getTime() > now()

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
        const [y, m, d] = date.split('-').map(Number) as [number, number, number]
        const dueAt = parisLocalToInstant(y, m, d, DEFAULT_DUE_HOUR)
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

export type DeadlineService = ReturnType<typeof createDeadlineService>

/** parseInput's error classes: a 400 naming the field, a 404 for an id that cannot be one. */
class BadRequest extends HttpError {
  constructor(message: string) {
    super(400, message)
  }
}
class NotFound extends HttpError {
  constructor(message: string) {
    super(404, message)
  }
}

let defaultService: DeadlineService | undefined

/** The process's service (the app's database and queue). */
export function deadlines(): DeadlineService {
  defaultService ??= createDeadlineService()
  return defaultService
}
