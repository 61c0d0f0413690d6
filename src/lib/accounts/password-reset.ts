/**
 * Password reset. request({ email }, ipKey) answers "accepted" whatever the address (no enumeration),
 * and does the same work before that answer for every address: the input's validation and the
 * per-client rate limit (429: it says nothing about the address), nothing that depends on the address.
 * The rest, the issuing, is handed to `defer` and runs after the answer (the app's: Next's after(), then
 * the mail drain): the per-e-mail limit (over it, silently nothing is sent: the owner's mailbox cannot
 * be flooded, the caller learns nothing), the account lookup, and for an account that exists and is
 * active a single-use link (token in Redis, 1 hour) queued as an e-mail. A failure there is logged
 * (without the address or the token), never thrown. confirm({ token, password }) sets the new password
 * (scrypt, src/lib/auth/password.ts) and ends every session of the user. A link also dies when the
 * password changed after it was sent (any other way).
 * Wiring: POST /api/auth/password-reset → 202 request(body, addressKey(clientAddress)); POST
 * /api/auth/password-reset/confirm → 200 confirm(body); the « Mot de passe oublié ? » form's server
 * action (src/actions/accounts.ts) → request() as well.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import type { PrismaClient } from '@/generated/prisma/client'
import { revokeSessions as defaultRevokeSessions } from '@/lib/auth/sessions'
import { HttpError } from '@/lib/core/http-error'
import { drainEmailsAfterResponse } from '@/lib/mail/drain'
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

/** Runs work after the answer; the work never rejects. Called at most once per request, never awaited. */
export type Defer = (work: () => Promise<void>) => void

export interface PasswordResetDeps extends AccountDeps {
  prisma?: Pick<PrismaClient, 'user'>
  revokeSessions?: (userId: string) => Promise<number>
  /**
   * Where request() hands the issuing once the answer is decided. The app's: drainEmailsAfterResponse
   * (Next's after(): it starts once the response is sent, then the e-mail it queued goes out), so it
   * needs a request scope (a route or a server action). Tests pass one that keeps the work to run it themselves.
   */
  defer?: Defer
  /** Where a failure of the issuing is told (console.warn): never with the address nor the token. */
  log?: (message: string) => void
}

/** An error's message on one line, without the given secrets (the address, the token), whatever quoted them. */
function withoutSecrets(err: unknown, secrets: readonly string[]): string {
  let message = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
  for (const secret of secrets) message = message.split(secret).join('…')
  return message.replace(/\s+/g, ' ').trim()
}

export function createPasswordReset(deps: PasswordResetDeps = {}) {
  const prisma = deps.prisma ?? defaultPrisma
  const revoke = deps.revokeSessions ?? defaultRevokeSessions
  const { tokens, outbox, limiter, config, secret, hash, now } = accountDefaults(deps)

  const defer = deps.defer ?? drainEmailsAfterResponse
  const log = deps.log ?? console.warn

  /** After the answer: the per-e-mail limit, the account, the link and its e-mail. Throws on a failure. */
  async function issueResetLink(email: string, token: string, tokenHash: string): Promise<void> {
    const { perEmail } = RESET_LIMITS
    const byEmail = await limiter(`reset:email:${email}`, perEmail.limit, perEmail.windowSeconds, {
      onFailure: 'closed',
    })
    if (byEmail.reason === 'unavailable')
      throw new Error('the per-address rate limit could not be checked (session store unreachable)')
    // Over it, unknown or deactivated: nothing sent, and the caller had the same answer long ago.
    if (!byEmail.allowed) return
    const user = await prisma.user.findUnique({
      where: { email },
      select: { id: true, email: true, name: true, active: true, passwordHash: true },
    })
    if (!user || !user.active) return
    const stored: StoredReset = {
      userId: user.id,
      email: user.email,
      passwordFingerprint: fingerprint(user.passwordHash),
    }
    await tokens.put('password-reset', tokenHash, stored, RESET_TTL_SECONDS)
    await outbox.enqueue({
      template: 'password-reset',
      to: user.email,
      subject: 'Réinitialisation de votre mot de passe IA Poste Manager',
      name: user.name,
      sealedLink: seal(`${config().appOrigin}${RESET_PATH}?token=${token}`, secret()),
      expiresAt: now() + RESET_TTL_SECONDS * 1000,
    })
  }

  return {
    /**
     * Always `{ accepted: true }` for a well-formed e-mail (400 otherwise), 429 when this client asked too
     * often, 503 when Redis cannot be reached: decided by the same work for every address (validation,
     * the per-client limit: one rate-limit call, no database). The issuing is handed to `defer`.
     * `clientKey`: the caller's address key (addressKey()).
     */
    async request(input: unknown, clientKey: string): Promise<{ accepted: true }> {
      const { email } = parseInput(resetRequestSchema, input, 'password reset', BadRequest)
      const { perClient } = RESET_LIMITS
      const byClient = await limiter(`reset:ip:${clientKey}`, perClient.limit, perClient.windowSeconds, {
        onFailure: 'closed',
      })
      if (byClient.reason === 'unavailable') throw unavailable('password reset')
      if (!byClient.allowed)
        throw new HttpError(429, 'too many password reset requests; try again later', {
          'retry-after': String(Math.max(1, Math.ceil((byClient.resetAt - now()) / 1000))),
        })
      defer(async () => {
        // Made first, whatever the address: a failure's message is stripped of it, whichever step failed.
        const { token, hash: tokenHash } = newToken()
        try {
          await issueResetLink(email, token, tokenHash)
        } catch (err) {
          log(
            `[accounts] a password reset request was dropped after the answer: ${withoutSecrets(err, [email, token])}`,
          )
        }
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
