/**
 * Invitations (the guide's `template: 'welcome'`): a cabinet ADMIN invites an e-mail with a role; the
 * e-mail's link (single-use token in Redis, 7 days) lets the colleague choose a name and password, which
 * creates the User in the inviter's cabinet. An e-mail that already has an account is refused (409) both
 * when inviting and when accepting. Wiring: POST /api/invitations → invite(); GET /invitation?token= → peek();
 * POST /api/invitations/accept → accept(); both POSTs then call drainEmailsAfterResponse().
 */
import { z } from 'zod'
import type { PrismaClient } from '@/generated/prisma/client'
import { ROLES, type Role } from '@/lib/core/identity'
import { createReminders, REMINDER_ROLES, type Reminders } from '@/lib/mail/reminders'
import { HttpError } from '@/lib/core/http-error'
import { seal } from '@/lib/mail/seal'
import { prisma as defaultPrisma } from '@/lib/core/prisma'
import { parseInput } from '@/lib/upstash'
import {
  accountDefaults,
  BadRequest,
  emailSchema,
  newPasswordSchema,
  tokenSchema,
  unavailable,
  type AccountDeps,
} from './shared'
import { hashToken, newToken } from './tokens'

export const INVITATION_TTL_SECONDS = 7 * 24 * 3600
/** Where the link points (the lead's page). */
export const INVITATION_PATH = '/invitation'
/** Invitations a cabinet may send per day: a stolen admin session cannot turn the app into a spam relay. */
export const INVITATIONS_PER_DAY = 50

/** Who invites: from the session. */
export interface Inviter {
  cabinetId: string
  userId: string
  role: Role
}

export const invitationSchema = z.strictObject(
  { email: emailSchema, role: z.enum(ROLES, { error: `role must be one of ${ROLES.join(', ')}` }) },
  { error: 'expected an object with email and role' },
)

export const acceptSchema = z.strictObject(
  {
    token: tokenSchema,
    name: z
      .string({ error: 'name must be a string' })
      .trim()
      .min(1, { error: 'name must not be empty' })
      .max(100, { error: 'name must be at most 100 characters' }),
    password: newPasswordSchema,
  },
  { error: 'expected an object with token, name and password' },
)

/** What Redis keeps under the token's hash. */
interface StoredInvitation {
  tenantId: string
  email: string
  role: Role
  invitedBy: string
  expiresAt: number
}

export interface InvitationDeps extends AccountDeps {
  prisma?: Pick<PrismaClient, 'user' | 'tenant' | 'deadline'>
  reminders?: Reminders
}

export function createInvitations(deps: InvitationDeps = {}) {
  const prisma = deps.prisma ?? defaultPrisma
  const reminders = deps.reminders ?? createReminders({ prisma })
  const { tokens, outbox, limiter, config, secret, hash, now } = accountDefaults(deps)

  const existingUser = (email: string) => prisma.user.findUnique({ where: { email }, select: { id: true } })

  return {
    /** ADMIN only (403). Queues the 'welcome' e-mail; 409 when the address already has an account. */
    async invite(inviter: Inviter, input: unknown): Promise<{ email: string; role: Role; expiresAt: string }> {
      if (inviter.role !== 'ADMIN') throw new HttpError(403, 'only an ADMIN of the cabinet can invite')
      const { email, role } = parseInput(invitationSchema, input, 'invitation', BadRequest)
      if (await existingUser(email))
        throw new HttpError(409, 'a user with this e-mail already exists (they can log in, or reset their password)')
      const [cabinet, admin] = await Promise.all([
        prisma.tenant.findUnique({ where: { id: inviter.cabinetId }, select: { name: true } }),
        prisma.user.findFirst({ where: { id: inviter.userId, tenantId: inviter.cabinetId }, select: { name: true } }),
      ])
      if (!cabinet || !admin) throw new HttpError(404, 'cabinet not found')
      const limit = await limiter(`invite:${inviter.cabinetId}`, INVITATIONS_PER_DAY, 24 * 3600, {
        onFailure: 'closed',
      })
      if (!limit.allowed) {
        if (limit.reason === 'unavailable') throw unavailable('inviting')
        throw new HttpError(429, `too many invitations today (at most ${INVITATIONS_PER_DAY} per cabinet)`, {
          'retry-after': String(Math.max(1, Math.ceil((limit.resetAt - now()) / 1000))),
        })
      }
      const { token, hash: tokenHash } = newToken()
      const expiresAt = now() + INVITATION_TTL_SECONDS * 1000
      const stored: StoredInvitation = {
        tenantId: inviter.cabinetId,
        email,
        role,
        invitedBy: inviter.userId,
        expiresAt,
      }
      try {
        await tokens.put('invitation', tokenHash, stored, INVITATION_TTL_SECONDS)
      } catch {
        throw unavailable('inviting')
      }
      const link = `${config().appOrigin}${INVITATION_PATH}?token=${token}`
      await outbox.enqueue({
        template: 'welcome',
        to: email,
        subject: `Invitation à rejoindre ${cabinet.name} sur IA Poste Manager`,
        tenantId: inviter.cabinetId,
        cabinetName: cabinet.name,
        inviterName: admin.name,
        role,
        sealedLink: seal(link, secret()),
        expiresAt,
      })
      return { email, role, expiresAt: new Date(expiresAt).toISOString() }
    },

    /** For the invitation page: who invites whom, without using the token; null when invalid, expired or used. */
    async peek(token: unknown): Promise<{ email: string; role: Role; cabinetName: string; expiresAt: string } | null> {
      const parsed = tokenSchema.safeParse(token)
      if (!parsed.success) return null
      const inv = await tokens.peek<StoredInvitation>('invitation', hashToken(parsed.data)).catch(() => {
        throw unavailable('the invitation')
      })
      if (!inv) return null
      const cabinet = await prisma.tenant.findUnique({ where: { id: inv.tenantId }, select: { name: true } })
      return cabinet
        ? {
            email: inv.email,
            role: inv.role,
            cabinetName: cabinet.name,
            expiresAt: new Date(inv.expiresAt).toISOString(),
          }
        : null
    },

    /**
     * Uses the token (once) and creates the account in the inviter's cabinet. 400: invalid, expired or
     * already used; 409: the e-mail has an account now. Returns the new user (who then logs in).
     */
    async accept(input: unknown): Promise<{ userId: string; email: string; cabinetId: string; role: Role }> {
      // Validated before the token is spent: a too-short password must not burn the invitation.
      const { token, name, password } = parseInput(acceptSchema, input, 'invitation', BadRequest)
      const passwordHash = await hash(password)
      const inv = await tokens.take<StoredInvitation>('invitation', hashToken(token)).catch(() => {
        throw unavailable('accepting an invitation')
      })
      if (!inv)
        throw new HttpError(
          400,
          'this invitation link is invalid, expired or already used; ask your cabinet for a new one',
        )
      if (await existingUser(inv.email))
        throw new HttpError(409, 'a user with this e-mail already exists: log in, or reset the password')
      let user
      try {
        user = await prisma.user.create({
          data: { email: inv.email, name, passwordHash, role: inv.role, tenantId: inv.tenantId },
          select: { id: true, email: true, tenantId: true, role: true },
        })
      } catch (err) {
        const code = (err as { code?: string }).code
        if (code === 'P2002')
          throw new HttpError(409, 'a user with this e-mail already exists: log in, or reset the password')
        if (code === 'P2003') throw new HttpError(400, 'the cabinet of this invitation no longer exists')
        throw err
      }
      // A new lawyer gets the cabinet's pending reminders too; the account exists whatever happens here.
      if ((REMINDER_ROLES as readonly string[]).includes(user.role)) {
        await reminders
          .scheduleForMember(user.tenantId, user.id)
          .catch((err: unknown) =>
            console.warn(`[accounts] reminders for the new member not scheduled: ${(err as Error).message}`),
          )
      }
      return { userId: user.id, email: user.email, cabinetId: user.tenantId, role: user.role as Role }
    },
  }
}

export type Invitations = ReturnType<typeof createInvitations>

let defaultInvitations: Invitations | undefined
export function invitations(): Invitations {
  defaultInvitations ??= createInvitations()
  return defaultInvitations
}
