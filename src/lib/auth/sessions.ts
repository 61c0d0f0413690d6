import { z } from 'zod'
import { appConfig } from '@/lib/config'
import { HttpError } from '@/lib/http-error'
import { prisma } from '@/lib/prisma'
import { session } from '@/lib/upstash'
import { identitySchema, type Identity } from './identity'
import { verifyPassword } from './password'
import { DEMO_CABINETS } from '../../../prisma/demo-data'

/** The demo accounts' e-mails: public (README), with a public password, so never valid on a real production server. */
const DEMO_EMAILS = new Set(DEMO_CABINETS.flatMap((c) => c.users.map((u) => u.email)))

/**
 * Accounts on the session helper: login (rate-limited, constant-time), session lookup with sliding
 * expiry, logout. The session id is the only secret the browser holds (an httpOnly cookie).
 */

/** `__Host-` (Secure, Path=/, no Domain) in production, so no subdomain can plant or read it. */
export function sessionCookieName(production = appConfig().production): string {
  return production ? '__Host-iapm_session' : 'iapm_session'
}

/** The session cookie's attributes: not readable by scripts, not sent on cross-site subrequests, HTTPS-only in production. */
export function sessionCookieOptions(production: boolean, maxAgeSeconds: number) {
  return { httpOnly: true, sameSite: 'lax' as const, secure: production, path: '/', maxAge: maxAgeSeconds }
}

/** Sets or clears (no `sessionId`) the session cookie on a response, with the attributes the browser needs to accept both. */
export function setSessionCookie(response: { cookies: { set(name: string, value: string, options: object): unknown } }, sessionId: string | null): void {
  const { production, sessionTtlSeconds } = appConfig()
  response.cookies.set(sessionCookieName(production), sessionId ?? '', sessionCookieOptions(production, sessionId ? sessionTtlSeconds : 0))
}

/** What session.create mints: 24 random bytes, base64url. Anything else is refused without asking Redis. */
const sessionIdSchema = z.string().regex(/^[A-Za-z0-9_-]{32}$/)

export const loginSchema = z.object({
  email: z
    .string({ error: 'email must be a string' })
    .trim()
    .toLowerCase()
    .max(254, { error: 'email must be at most 254 characters' })
    .pipe(z.email({ error: 'email must be an e-mail address' })),
  password: z.string({ error: 'password must be a string' }).min(1, { error: 'password must not be empty' }).max(1024, { error: 'password must be at most 1024 characters' }),
})

/** A user as the API shows it (never the hash). */
export interface PublicUser {
  id: string
  email: string
  name: string
  role: Identity['role']
  tenant: { id: string; name: string; plan: string }
}

const stored = identitySchema.omit({ sessionId: true })

/** Same answer for an unknown e-mail and a wrong password. */
const BAD_CREDENTIALS = 'e-mail ou mot de passe incorrect'

/**
 * Checks the credentials and opens a fresh session (a new id at every login: no fixation).
 * Attempts are counted per e-mail and per client address before the password is checked, and
 * fail closed: while Redis is unreachable nobody can guess (503), rather than everyone guessing freely.
 */
export async function login(input: unknown, clientAddress: string): Promise<{ sessionId: string; user: PublicUser }> {
  const { email, password } = loginSchema.parse(input)
  const { perEmailAndAddress, perEmail, perAddress, windowSeconds } = appConfig().loginRateLimit
  // All counted in one round trip (auto-pipelined).
  const verdicts = await Promise.all([
    session.rateLimit(`login:pair:${email}|${clientAddress}`, perEmailAndAddress, windowSeconds, { onFailure: 'closed' }),
    session.rateLimit(`login:ip:${clientAddress}`, perAddress, windowSeconds, { onFailure: 'closed' }),
    session.rateLimit(`login:email:${email}`, perEmail, windowSeconds, { onFailure: 'closed' }),
  ])
  for (const r of verdicts) {
    if (r.allowed) continue
    if (r.reason === 'unavailable') throw new HttpError(503, 'login is unavailable for a moment (session store unreachable); try again shortly', { 'retry-after': '5' })
    const retryAfter = String(Math.max(1, Math.ceil((r.resetAt - Date.now()) / 1000)))
    throw new HttpError(429, 'too many login attempts; try again later', { 'retry-after': retryAfter })
  }

  if (DEMO_EMAILS.has(email) && !appConfig().allowDemoAccounts) {
    // Same answer as a wrong password; the operator learns why from the log.
    console.warn(`[auth] login refused for the demo account ${email}: demo accounts are off in production (ALLOW_DEMO_ACCOUNTS=true turns them on)`)
    await verifyPassword(password, null)
    throw new HttpError(401, BAD_CREDENTIALS)
  }
  const user = await prisma.user.findUnique({ where: { email }, include: { tenant: true } })
  // verifyPassword runs a full scrypt even for an unknown e-mail: the timing does not tell which part was wrong.
  const ok = await verifyPassword(password, user?.passwordHash ?? null)
  if (!user || !ok) throw new HttpError(401, BAD_CREDENTIALS)

  const data = { userId: user.id, tenantId: user.tenantId, role: user.role, email: user.email, name: user.name }
  const sessionId = await session.create(data, appConfig().sessionTtlSeconds)
  return {
    sessionId,
    user: { id: user.id, email: user.email, name: user.name, role: user.role, tenant: { id: user.tenant.id, name: user.tenant.name, plan: user.tenant.plan } },
  }
}

/**
 * The identity behind a session cookie, restarting its lifetime (sliding expiry) in the same single
 * command (GETEX). null for a malformed, unknown, expired or logged-out id. Throws
 * RedisUnavailableError when the session store cannot be asked.
 */
export async function resolveSession(sessionId: string | undefined): Promise<Identity | null> {
  if (!sessionId || !sessionIdSchema.safeParse(sessionId).success) return null
  const data = await session.get(sessionId, { slide: appConfig().sessionTtlSeconds })
  const parsed = stored.safeParse(data)
  return parsed.success ? { ...parsed.data, sessionId } : null
}

/** Deletes the session in Redis: the old cookie is refused from now on. */
export async function logout(sessionId: string): Promise<void> {
  await session.delete(sessionId)
}
