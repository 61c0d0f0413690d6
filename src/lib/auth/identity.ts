import { z } from 'zod'
import { CLIENT_ADDRESS_HEADER, UNVERIFIED_ADDRESS } from '@/lib/client-address'
import { HttpError } from '@/lib/http-error'

/**
 * Who is calling, as src/proxy.ts resolved it from the session cookie. The proxy strips any
 * client-sent copy of IDENTITY_HEADER and sets its own, so routes and pages read the identity from
 * the request instead of asking Redis for the session a second time.
 */
export const IDENTITY_HEADER = 'x-iapm-identity'

export const ROLES = ['ADMIN', 'AVOCAT', 'ASSISTANT'] as const
export type Role = (typeof ROLES)[number]

export const identitySchema = z.object({
  userId: z.string().min(1),
  tenantId: z.string().min(1),
  role: z.enum(ROLES),
  email: z.string(),
  name: z.string(),
  /** The session id, so logout can delete it without reading the cookie again. */
  sessionId: z.string().min(1),
})
export type Identity = z.infer<typeof identitySchema>

/** Header values must be ByteStrings: names with accents travel percent-encoded. */
export function encodeIdentity(identity: Identity): string {
  return encodeURIComponent(JSON.stringify(identity))
}

/** The identity in a header value, or null when absent or not one the proxy wrote. */
export function decodeIdentity(value: string | null | undefined): Identity | null {
  if (!value) return null
  try {
    const parsed = identitySchema.safeParse(JSON.parse(decodeURIComponent(value)))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}

/** The caller of a route handler; throws 401 when not logged in. */
export function requireIdentity(request: Request): Identity {
  const identity = decodeIdentity(request.headers.get(IDENTITY_HEADER))
  if (!identity) throw new HttpError(401, 'not logged in: POST /api/auth/login first')
  return identity
}

/** Throws 403 unless the caller has one of `roles`. */
export function requireRole(identity: Identity, ...roles: Role[]): void {
  if (!roles.includes(identity.role)) throw new HttpError(403, `this needs the role ${roles.join(' or ')}`)
}

/**
 * The client's address as the proxy settled it (src/lib/client-address.ts: the platform's header on
 * Vercel, scripts/serve.ts's behind it, else 'unverified'), in a header the proxy always overwrites.
 * Bounded: an address is ≤ 45 characters.
 */
export function callerAddress(request: Pick<Request, 'headers'>): string {
  return (request.headers.get(CLIENT_ADDRESS_HEADER) || UNVERIFIED_ADDRESS).slice(0, 64)
}
