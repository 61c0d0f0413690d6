import { z } from 'zod'
import { HttpError } from '@/lib/core/http-error'

/** Who is calling, as src/proxy.ts resolved it from the session cookie (carried to the app by src/lib/request/protocol.ts). */
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

/** Throws 403 unless the caller has one of `roles`. */
export function requireRole(identity: Identity, ...roles: Role[]): void {
  if (!roles.includes(identity.role)) throw new HttpError(403, `this needs the role ${roles.join(' or ')}`)
}
