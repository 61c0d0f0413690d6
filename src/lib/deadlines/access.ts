/**
 * What every deadline operation starts from: the caller's context checked, the dossier or deadline
 * found in the caller's cabinet only (another cabinet's is a 404, exactly like one that does not
 * exist), and the row as the API and pages show it.
 */
import type { PrismaClient } from '@/generated/prisma/client'
import { HttpError } from '@/lib/core/http-error'
import { parseInput } from '@/lib/upstash'
import { z } from 'zod'
import { formatDateTimeFr } from '@/lib/core/paris-time'
import { DEADLINE_KIND_LABELS, type DeadlineKind } from '@/lib/core/deadline-kinds'
import { deadlineIdSchema, type DeadlineStatus } from './schemas'

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

export type Row = {
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

export const withDossier = { dossier: { select: { id: true, reference: true, title: true } } } as const

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

export const contextSchema = z.object({
  cabinetId: z.string().min(1, 'cabinetId must not be empty'),
  userId: z.string().min(1, 'userId must not be empty'),
})

const dossierIdSchema = z
  .string({ error: 'dossierId must be a string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'dossierId must be a dossier id' })

/** parseInput's error classes: a 400 naming the field, a 404 for an id that cannot be one. */
export class BadRequest extends HttpError {
  constructor(message: string) {
    super(400, message)
  }
}

export class NotFound extends HttpError {
  constructor(message: string) {
    super(404, message)
  }
}

/** The lookups every operation shares, on one database and clock. */
export function deadlineAccess(prisma: Pick<PrismaClient, 'deadline' | 'dossier'>, now: () => number) {
  return {
    ctxOf: (ctx: DeadlineContext) => parseInput(contextSchema, ctx, 'deadlines: context'),

    /** The dossier, if it is this cabinet's; else 404 (never says it exists elsewhere). */
    async ownDossier(cabinetId: string, dossierId: string) {
      const id = parseInput(dossierIdSchema, dossierId, 'dossierId', NotFound)
      const dossier = await prisma.dossier.findFirst({ where: { id, tenantId: cabinetId }, select: { id: true } })
      if (!dossier) throw new HttpError(404, 'dossier not found')
      return dossier
    },

    async own(cabinetId: string, deadlineId: string): Promise<Row> {
      const id = parseInput(deadlineIdSchema, deadlineId, 'id', NotFound)
      const d = await prisma.deadline.findFirst({ where: { id, tenantId: cabinetId }, include: withDossier })
      if (!d) throw new HttpError(404, 'deadline not found')
      return d
    },

    /** A deadline whose reminders should be queued: confirmed, not done, still ahead. */
    remindable: (d: Pick<Row, 'status' | 'done' | 'dueAt'>) =>
      d.status === 'confirmed' && !d.done && d.dueAt.getTime() > now(),
  }
}

export type DeadlineAccess = ReturnType<typeof deadlineAccess>
