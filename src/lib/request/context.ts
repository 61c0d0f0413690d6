import type { Identity, Role } from '@/lib/core/identity'
import { requireRole } from '@/lib/core/identity'
import { runWithRedisBudget, type RedisBudget } from '@/lib/upstash'
import type { Forwarded } from './protocol'

/**
 * One request's context, the same for API routes, pages and server actions: who calls, their cabinet
 * and role, the client address, and the request's Redis budget. Built only from what the proxy
 * forwarded (src/lib/request/protocol.ts); the wrappers in api.ts, page.ts and action.ts are the only
 * way to get one, so a handler cannot forget to check that the caller is logged in.
 */
export interface RequestContext {
  identity: Identity
  userId: string
  /** The caller's cabinet: every read and write is scoped to it, never to a cabinet named in the URL. */
  tenantId: string
  role: Role
  address: string
  /** Runs `fn` under what the proxy left of the request's Redis budget. */
  run<T>(fn: () => Promise<T>): Promise<T>
}

/** A request that may be anonymous (login, logout, the login page). */
export interface MaybeAuthenticated extends Omit<RequestContext, 'identity' | 'userId' | 'tenantId' | 'role'> {
  identity: Identity | null
}

export function anonymousContext(forwarded: Omit<Forwarded, 'budget'>, budget: RedisBudget): MaybeAuthenticated {
  return { identity: forwarded.identity, address: forwarded.address, run: (fn) => runWithRedisBudget(budget, fn) }
}

/** The context of a logged-in caller; throws 403 (HttpError) when `roles` is given and theirs is not among them. */
export function authenticatedContext(
  identity: Identity,
  address: string,
  budget: RedisBudget,
  roles?: readonly Role[],
): RequestContext {
  if (roles?.length) requireRole(identity, ...roles)
  return {
    identity,
    userId: identity.userId,
    tenantId: identity.tenantId,
    role: identity.role,
    address,
    run: (fn) => runWithRedisBudget(budget, fn),
  }
}
