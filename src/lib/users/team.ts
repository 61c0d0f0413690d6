import { z } from 'zod'
import { ROLES, requireRole, type Identity, type Role } from '@/lib/core/identity'
import { revokeSessions } from '@/lib/auth/sessions'
import { createReminders, REMINDER_ROLES, type Reminders } from '@/lib/mail/reminders'
import { HttpError } from '@/lib/core/http-error'
import { prisma } from '@/lib/core/prisma'
import type { IdParam } from '@/lib/request/api'

/**
 * A cabinet's team, managed by its ADMINs: roles and deactivation. Every change ends the user's
 * sessions at once (they log in again with what the change allows), and a cabinet always keeps at
 * least one active ADMIN. Someone who becomes a reminder recipient (made AVOCAT or ADMIN from ASSISTANT, or
 * reactivated as one) is given the cabinet's pending deadline reminders (scheduleForMember); someone who
 * stops being one needs nothing: each reminder checks its recipient when it is sent and drops it.
 */

/** A member of the team as the API and the page show it (never the password hash). */
export interface TeamMember {
  id: string
  email: string
  name: string
  role: Role
  active: boolean
  createdAt: string
}

export const userIdSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'must be a user id' })

/** The `[id]` segment of /api/users/[id]: an id that cannot be one is an unknown user. */
export const USER_ID: IdParam = {
  parse: (raw) => {
    const parsed = userIdSchema.safeParse(raw)
    return parsed.success ? parsed.data : null
  },
  notFound: () => Response.json({ error: 'user not found' }, { status: 404 }),
}

export const userPatchSchema = z
  .strictObject(
    {
      role: z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` }).optional(),
      active: z.boolean({ error: 'active must be true or false' }).optional(),
    },
    { error: 'expected an object with role and/or active' },
  )
  .refine((p) => p.role !== undefined || p.active !== undefined, {
    error: 'nothing to change: send role and/or active',
  })
export type UserPatch = z.infer<typeof userPatchSchema>

const select = { id: true, email: true, name: true, role: true, active: true, createdAt: true } as const
const toMember = (u: {
  id: string
  email: string
  name: string
  role: string
  active: boolean
  createdAt: Date
}): TeamMember => ({
  ...u,
  role: u.role as Role,
  createdAt: u.createdAt.toISOString(),
})

let reminders: Reminders | undefined
const isRecipient = (u: { role: string; active: boolean }) =>
  u.active && (REMINDER_ROLES as readonly string[]).includes(u.role)

/** The caller's cabinet's users, admins first then by name. ADMIN only (403). */
export async function listTeam(actor: Identity): Promise<TeamMember[]> {
  requireRole(actor, 'ADMIN')
  const users = await prisma.user.findMany({ where: { tenantId: actor.tenantId }, select, orderBy: [{ name: 'asc' }] })
  const rank = (r: string) => ROLES.indexOf(r as Role)
  return users.map(toMember).sort((a, b) => rank(a.role) - rank(b.role) || a.name.localeCompare(b.name, 'fr'))
}

/**
 * Changes a user of the caller's cabinet (ADMIN only, 403): another cabinet's user is a 404; leaving
 * the cabinet without an active ADMIN is a 409. The user's sessions end at once when anything changed.
 */
export async function updateTeamMember(
  actor: Identity,
  userId: string,
  patch: UserPatch,
): Promise<{ member: TeamMember; changed: boolean }> {
  requireRole(actor, 'ADMIN')
  const { changed, user, becameRecipient } = await prisma.$transaction(async (tx) => {
    const current = await tx.user.findFirst({ where: { id: userId, tenantId: actor.tenantId }, select })
    if (!current) throw new HttpError(404, 'user not found')
    const role = patch.role ?? (current.role as Role)
    const active = patch.active ?? current.active
    const losesAdmin = current.role === 'ADMIN' && current.active && (role !== 'ADMIN' || !active)
    if (losesAdmin) {
      const others = await tx.user.count({
        where: { tenantId: actor.tenantId, role: 'ADMIN', active: true, id: { not: userId } },
      })
      if (others === 0) throw new HttpError(409, 'the cabinet must keep at least one active ADMIN')
    }
    if (role === current.role && active === current.active)
      return { changed: false, user: current, becameRecipient: false }
    return {
      changed: true,
      user: await tx.user.update({ where: { id: userId }, data: { role, active }, select }),
      becameRecipient: !isRecipient(current) && isRecipient({ role, active }),
    }
  })
  if (changed) await revokeSessions(userId)
  if (becameRecipient) {
    // Pushes of reminders still queued are no-ops (idempotent job ids); the change is saved whatever happens here.
    reminders ??= createReminders({ prisma })
    await reminders
      .scheduleForMember(actor.tenantId, userId)
      .catch((err: unknown) =>
        console.warn(`[team] reminders for ${userId} not scheduled: ${(err as Error)?.message ?? err}`),
      )
  }
  return { member: toMember(user), changed }
}
