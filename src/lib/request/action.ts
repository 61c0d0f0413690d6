import { headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { loginPath } from '@/lib/request/paths'
import { anonymousContext, authenticatedContext, type MaybeAuthenticated, type RequestContext } from './context'
import { readForwarded } from './protocol'

/**
 * Server actions (the safe-action client's role): the only way an action gets its caller. A server
 * action runs outside the render (React's cache() does not memoize there), so it and the render after
 * it each get what the proxy left of the request's budget.
 */

/**
 * An action for logged-in users: anonymous callers are sent to /login, back to `loginPathOf` (or what it
 * gives for the action's arguments) afterwards. Annotate `ctx` (RequestContext) so the arguments are inferred.
 */
export function authedAction<A extends unknown[], R>(
  loginPathOf: string | ((...args: A) => string),
  fn: (ctx: RequestContext, ...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    const { identity, address, budget } = readForwarded(await headers())
    if (!identity) redirect(loginPath(typeof loginPathOf === 'string' ? loginPathOf : loginPathOf(...args)))
    const ctx = authenticatedContext(identity, address, budget)
    return ctx.run(() => fn(ctx, ...args))
  }
}

/** An action anyone may call (login, logout): identity null when anonymous. */
export function publicAction<A extends unknown[], R>(
  fn: (ctx: MaybeAuthenticated, ...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args) => {
    const { budget, ...forwarded } = readForwarded(await headers())
    const ctx = anonymousContext(forwarded, budget)
    return ctx.run(() => fn(ctx, ...args))
  }
}
