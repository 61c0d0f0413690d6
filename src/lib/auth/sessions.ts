import { LRUCache } from 'lru-cache'
import { z } from 'zod'
import { addressKey } from '@/lib/core/client-address'
import { appConfig } from '@/lib/core/config'
import { HttpError } from '@/lib/core/http-error'
import { prisma } from '@/lib/core/prisma'
import { session } from '@/lib/upstash'
import { identitySchema, type Identity } from '@/lib/core/identity'
import { PasswordCheckBusyError, verifyPassword } from './password'
import { signDevice, signSessionId, verifyDevice, verifySessionCookie } from './session-cookie'
import { DEMO_CABINETS } from '@/lib/demo/demo-data'

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

/** The device cookie (see session-cookie.ts): `__Host-` in production, like the session's. */
export function deviceCookieName(production = appConfig().production): string {
  return production ? '__Host-iapm_device' : 'iapm_device'
}

/** A device is remembered this long after its last successful login. */
const DEVICE_MAX_AGE_SECONDS = 180 * 24 * 3600

/** Sets the device cookie given by a successful login. */
export function setDeviceCookie(
  response: { cookies: { set(name: string, value: string, options: object): unknown } },
  device: string,
): void {
  const { production } = appConfig()
  response.cookies.set(deviceCookieName(production), device, sessionCookieOptions(production, DEVICE_MAX_AGE_SECONDS))
}

/**
 * Sets or clears (null) the session cookie (its signed value) on a response, with the attributes the
 * browser needs to accept both. It lives as long as a session may (SESSION_MAX_LIFETIME_SECONDS): the
 * sliding expiry is kept in Redis, so the cookie never needs sending again while the session lives.
 */
export function setSessionCookie(
  response: { cookies: { set(name: string, value: string, options: object): unknown } },
  cookie: string | null,
): void {
  const { production, sessionMaxLifetimeSeconds } = appConfig()
  response.cookies.set(
    sessionCookieName(production),
    cookie ?? '',
    sessionCookieOptions(production, cookie ? sessionMaxLifetimeSeconds : 0),
  )
}

export const loginSchema = z.object({
  email: z
    .string({ error: 'email must be a string' })
    .trim()
    .toLowerCase()
    .max(254, { error: 'email must be at most 254 characters' })
    .pipe(z.email({ error: 'email must be an e-mail address' })),
  password: z
    .string({ error: 'password must be a string' })
    .min(1, { error: 'password must not be empty' })
    .max(1024, { error: 'password must be at most 1024 characters' }),
})

/** A user as the API shows it (never the hash). */
export interface PublicUser {
  id: string
  email: string
  name: string
  role: Identity['role']
  tenant: { id: string; name: string; plan: string }
}

/** What a session holds: who logged in, and when (the absolute lifetime counts from then). */
const stored = identitySchema.omit({ sessionId: true }).extend({ createdAt: z.number().int().positive() })

/** The signing secret (SESSION_SECRET; the startup check refuses a production server without it). */
function secret(): string {
  const s = appConfig().sessionSecret
  if (!s) throw new HttpError(503, 'sessions are not configured (SESSION_SECRET is missing)')
  return s
}

/** Same answer for an unknown e-mail and a wrong password. */
const BAD_CREDENTIALS = 'e-mail ou mot de passe incorrect'

/**
 * Checks the credentials and opens a fresh session (a new id at every login: no fixation).
 * Attempts are counted per e-mail and per client address before the password is checked, and
 * fail closed: while Redis is unreachable nobody can guess (503), rather than everyone guessing freely.
 */
export async function login(
  input: unknown,
  clientAddress: string,
  deviceCookie?: string,
): Promise<{ cookie: string; device: string; user: PublicUser }> {
  const { email, password } = loginSchema.parse(input)
  const { perEmailAndAddress, perEmail, perAddress, windowSeconds } = appConfig().loginRateLimit
  const where = addressKey(clientAddress) // an IPv6 address by its /64
  // A browser this e-mail logged in from before has a budget of its own: guesses from elsewhere, which
  // spend the e-mail's shared budgets, cannot lock its owner out there.
  const device = verifyDevice(deviceCookie, secret())
  const trusted = device?.email === email ? device : null
  // All counted in one round trip (auto-pipelined).
  const verdicts = await Promise.all([
    session.rateLimit(`login:ip:${where}`, perAddress, windowSeconds, { onFailure: 'closed' }),
    ...(trusted
      ? [session.rateLimit(`login:device:${trusted.id}`, perEmailAndAddress, windowSeconds, { onFailure: 'closed' })]
      : [
          session.rateLimit(`login:pair:${email}|${where}`, perEmailAndAddress, windowSeconds, { onFailure: 'closed' }),
          session.rateLimit(`login:email:${email}`, perEmail, windowSeconds, { onFailure: 'closed' }),
        ]),
  ])
  for (const r of verdicts) {
    if (r.allowed) continue
    if (r.reason === 'unavailable')
      throw new HttpError(503, 'login is unavailable for a moment (session store unreachable); try again shortly', {
        'retry-after': '5',
      })
    const retryAfter = String(Math.max(1, Math.ceil((r.resetAt - Date.now()) / 1000)))
    throw new HttpError(429, 'too many login attempts; try again later', { 'retry-after': retryAfter })
  }

  if (DEMO_EMAILS.has(email) && !appConfig().allowDemoAccounts) {
    // Same answer as a wrong password; the operator learns why from the log.
    console.warn(
      `[auth] login refused for the demo account ${email}: demo accounts are off in production (ALLOW_DEMO_ACCOUNTS=true turns them on)`,
    )
    await verifyPassword(password, null).catch(() => false)
    throw new HttpError(401, BAD_CREDENTIALS)
  }
  const user = await prisma.user.findUnique({ where: { email }, include: { tenant: true } })
  // verifyPassword runs a full scrypt even for an unknown e-mail: the timing does not tell which part was wrong.
  const ok = await verifyPassword(password, user?.passwordHash ?? null).catch((err: unknown) => {
    if (err instanceof PasswordCheckBusyError)
      throw new HttpError(503, 'login is busy for a moment; try again shortly', { 'retry-after': '2' })
    throw err
  })
  // A deactivated account gets the same answer as a wrong password.
  if (!user || !ok || !user.active) throw new HttpError(401, BAD_CREDENTIALS)

  const { sessionTtlSeconds, sessionMaxLifetimeSeconds } = appConfig()
  const data = {
    userId: user.id,
    tenantId: user.tenantId,
    role: user.role,
    email: user.email,
    name: user.name,
    createdAt: Date.now(),
  }
  // Indexed under the user, so that revoking the account or "log out everywhere" ends every session at once.
  const sessionId = await session.create(data, sessionTtlSeconds, {
    owner: user.id,
    ownerTtlSeconds: sessionMaxLifetimeSeconds,
  })
  userChecks.delete(user.id)
  return {
    cookie: signSessionId(sessionId, secret()),
    device: signDevice(email)(secret()),
    user: {
      id: user.id,
      email: user.email,
      name: user.name,
      role: user.role,
      tenant: { id: user.tenant.id, name: user.tenant.name, plan: user.tenant.plan },
    },
  }
}

/**
 * The user as the database has it, read at most once per SESSION_RECHECK_SECONDS (60) per instance: a
 * change made in the database directly (a role, an account deactivated) reaches every session within
 * that time, with no Redis command. Changes made through the app end the user's sessions at once
 * (revokeSessions).
 */
type UserCheck =
  { role: Identity['role']; tenantId: string; active: boolean; email: string; name: string } | { gone: true }
// On globalThis: the proxy and the route handlers are separate bundles in one process, and a role change
// made through a route (revokeSessions) must clear the copy the proxy reads, not a copy of its own.
const USER_CHECKS = Symbol.for('iapm.auth.userChecks')
const userChecks: LRUCache<string, UserCheck> = ((globalThis as Record<symbol, unknown>)[USER_CHECKS] ??= new LRUCache<
  string,
  UserCheck
>({ max: 10_000, ttl: 60_000 })) as LRUCache<string, UserCheck>

async function currentUser(userId: string) {
  const cached = userChecks.get(userId)
  if (cached) return 'gone' in cached ? null : cached
  const user = await prisma.user.findUnique({
    where: { id: userId },
    select: { role: true, tenantId: true, active: true, email: true, name: true },
  })
  userChecks.set(userId, user ?? { gone: true }, { ttl: appConfig().sessionRecheckMs })
  return user
}

/**
 * The identity behind a session cookie, restarting its lifetime (sliding expiry) in the same single
 * command (GETEX). null, without a Redis command, for a cookie this app did not sign; null for an
 * unknown, expired or logged-out id, a session older than SESSION_MAX_LIFETIME_SECONDS, or a user who
 * no longer exists, was deactivated or moved to another cabinet (the session is then deleted). The
 * role is the database's, not the one at login. Throws RedisUnavailableError when the session store
 * cannot be asked.
 */
export async function resolveSession(cookie: string | undefined): Promise<Identity | null> {
  const { sessionSecret, sessionTtlSeconds, sessionMaxLifetimeSeconds } = appConfig()
  const sessionId = sessionSecret ? verifySessionCookie(cookie, sessionSecret) : null
  if (!sessionId) return null
  const parsed = stored.safeParse(await session.get(sessionId, { slide: sessionTtlSeconds }))
  if (!parsed.success) return null
  const data = parsed.data
  const user = await currentUser(data.userId)
  if (
    Date.now() - data.createdAt > sessionMaxLifetimeSeconds * 1000 ||
    !user ||
    !user.active ||
    user.tenantId !== data.tenantId
  ) {
    await session.delete(sessionId, { owner: data.userId }).catch(() => false)
    return null
  }
  return {
    userId: data.userId,
    tenantId: data.tenantId,
    role: user.role,
    email: user.email,
    name: user.name,
    sessionId,
  }
}

/** Deletes the session in Redis: the old cookie is refused from now on. */
export async function logout(identity: Pick<Identity, 'sessionId' | 'userId'>): Promise<void> {
  await session.delete(identity.sessionId, { owner: identity.userId })
}

/**
 * Ends every session of a user, on every instance at once: "log out everywhere", or an account an
 * admin changed (role, deactivated). Returns how many there were.
 */
export async function revokeSessions(userId: string): Promise<number> {
  userChecks.delete(userId)
  return session.deleteAll(userId)
}
