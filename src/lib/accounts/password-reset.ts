/**
 * Password reset. request({ email }, ipKey) answers "accepted" whatever the address (no enumeration):
 * an account that exists and is active gets an e-mail with a single-use link (token in Redis, 1 hour).
 * Rate-limited per client (429: it says nothing about the address) and per e-mail (over it, silently
 * nothing is sent: the owner's mailbox cannot be flooded, the caller learns nothing). confirm({ token,
 * password }) sets the new password (scrypt, src/lib/auth/password.ts) and ends every session of the
 * user. A link also dies when the password changed after it was sent (any other way).
 * Wiring: POST /api/auth/password-reset → 202 request(body, addressKey(clientAddress)) then
 * drainEmailsAfterResponse(); POST /api/auth/password-reset/confirm → 200 confirm(body).
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { PrismaClient } from '@/generated/prisma/client'
import { revokeSessions as defaultRevokeSessions } from '@/lib/auth/sessions'
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

export const RESET_TTL_SECONDS = 3600
/** Where the link points (the lead's page). */
export const RESET_PATH = '/mot-de-passe/nouveau'
/** Requests per client address key per 15 minutes, and e-mails per address per hour. */
export const RESET_LIMITS = {
  perClient: { limit: 10, windowSeconds: 900 },
  perEmail: { limit: 3, windowSeconds: 3600 },
} as const

export const resetRequestSchema = z.strictObject({ email: emailSchema }, { error: 'expected an object with email' })
export const resetConfirmSchema = z.strictObject(
  { token: tokenSchema, password: newPasswordSchema },
  { error: 'expected an object with token and password' },
)

interface StoredReset {
  userId: string
  email: string
  /** A digest of the password hash when the link was made: a password changed since kills the link. */
  passwordFingerprint: string
}

const fingerprint = (passwordHash: string) => createHash('sha256').update(passwordHash).digest('hex').slice(0, 32)

export interface PasswordResetDeps extends AccountDeps {
  prisma?: Pick<PrismaClient, 'user'>
  revokeSessions?: (userId: string) => Promise<number>
}

export function createPasswordReset(deps: PasswordResetDeps = {}) {
  const prisma = deps.prisma ?? defaultPrisma
  const revoke = deps.revokeSessions ?? defaultRevokeSessions
  const { tokens, outbox, limiter, config, secret, hash, now } = accountDefaults(deps)

  return {
    /**
     * Always `{ accepted: true }` for a well-formed e-mail (400 otherwise), 429 when this client asked too
     * often, 503 when Redis cannot be reached. `clientKey`: the caller's address key (addressKey()).
     */
    async request(input: unknown, clientKey: string): Promise<{ accepted: true }> {
      const { email } = parseInput(resetRequestSchema, input, 'password reset', BadRequest)
      const { perClient, perEmail } = RESET_LIMITS
      const [byClient, byEmail] = await Promise.all([
        limiter(`reset:ip:${clientKey}`, perClient.limit, perClient.windowSeconds, { onFailure: 'closed' }),
        limiter(`reset:email:${email}`, perEmail.limit, perEmail.windowSeconds, { onFailure: 'closed' }),
      ])
      if (byClient.reason === 'unavailable' || byEmail.reason === 'unavailable') throw unavailable('password reset')
      if (!byClient.allowed)
        throw new HttpError(429, 'too many password reset requests; try again later', {
          'retry-after': String(Math.max(1, Math.ceil((byClient.resetAt - now()) / 1000))),
        })
      if (!byEmail.allowed) return { accepted: true }
      const user = await prisma.user.findUnique({
        where: { email },
        select: { id: true, email: true, name: true, active: true, passwordHash: true },
      })
      // Unknown or deactivated: the same answer, nothing sent.
      if (!user || !user.active) return { accepted: true }
      const { token, hash: tokenHash } = newToken()
      const expiresAt = now() + RESET_TTL_SECONDS * 1000
      const stored: StoredReset = {
        userId: user.id,
        email: user.email,
        passwordFingerprint: fingerprint(user.passwordHash),
      }
      try {
        await tokens.put('password-reset', tokenHash, stored, RESET_TTL_SECONDS)
      } catch {
        throw unavailable('password reset')
      }
      await outbox.enqueue({
        template: 'password-reset',
        to: user.email,
        subject: 'Réinitialisation de votre mot de passe IA Poste Manager',
        name: user.name,
        sealedLink: seal(`${config().appOrigin}${RESET_PATH}?token=${token}`, secret()),
        expiresAt,
      })
      return { accepted: true }
    },

    /** For the page behind the link: is it still usable (without using it)? */
    async check(token: unknown): Promise<boolean> {
      const parsed = tokenSchema.safeParse(token)
      if (!parsed.success) return false
      return (
        (await tokens.peek('password-reset', hashToken(parsed.data)).catch(() => {
          throw unavailable('password reset')
        })) !== null
      )
    },

    /**
     * Uses the token (once), sets the password and ends every session of the user. 400 for an invalid,
     * expired or used link (or one made before the password last changed).
     */
    async confirm(input: unknown): Promise<{ userId: string; sessionsEnded: number }> {
      // Validated and hashed before the token is spent: a too-short password must not burn the link.
      const { token, password } = parseInput(resetConfirmSchema, input, 'password reset', BadRequest)
      const passwordHash = await hash(password)
      const stored = await tokens.take<StoredReset>('password-reset', hashToken(token)).catch(() => {
        throw unavailable('password reset')
      })
      const invalid = () =>
        new HttpError(400, 'this password reset link is invalid, expired or already used; ask for a new one')
      if (!stored) throw invalid()
      // Compare-and-set on the old hash: a password changed in between (another link, an admin) wins.
      const user = await prisma.user.findUnique({
        where: { id: stored.userId },
        select: { email: true, passwordHash: true },
      })
      if (!user || user.email !== stored.email || fingerprint(user.passwordHash) !== stored.passwordFingerprint)
        throw invalid()
      const { count } = await prisma.user.updateMany({
        where: { id: stored.userId, passwordHash: user.passwordHash },
        data: { passwordHash },
      })
      if (count !== 1) throw invalid()
      const sessionsEnded = await revoke(stored.userId)
      return { userId: stored.userId, sessionsEnded }
    },
  }
}

export type PasswordReset = ReturnType<typeof createPasswordReset>

let defaultReset: PasswordReset | undefined
export function passwordReset(): PasswordReset {
  defaultReset ??= createPasswordReset()
  return defaultReset
}
