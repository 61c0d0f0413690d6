import type { NextRequest } from 'next/server'
import type { Role } from '@/lib/core/identity'
import { errorResponse } from '@/lib/request/http'
import { HttpError } from '@/lib/core/http-error'
import { anonymousContext, authenticatedContext, type MaybeAuthenticated, type RequestContext } from './context'
import { readForwarded } from './protocol'

/** A route handler as Next calls it. */
export type RouteHandler<P extends object> = (
  request: NextRequest,
  context: { params: Promise<P> },
) => Promise<Response>

/** What an authenticated API handler gets. */
export interface ApiContext<P extends object = object> extends RequestContext {
  request: NextRequest
  params: P
}

/** An `[id]` segment's parser and the answer when it cannot be an id (the same answer as an unknown id). */
export interface IdParam {
  parse: (raw: unknown) => string | null
  notFound: () => Response
}

export interface ApiOptions {
  /** Roles allowed (default: any logged-in user); another role → 403. */
  roles?: readonly Role[]
}

const NOT_LOGGED_IN = 'not logged in: POST /api/auth/login first'

/**
 * An API route for logged-in callers (401 otherwise): the handler runs under the request's Redis
 * budget, and whatever it throws becomes its JSON answer (src/lib/request/http.ts).
 */
export function withAuth<P extends object = object>(
  handler: (ctx: ApiContext<P>) => Promise<Response>,
  options: ApiOptions = {},
): RouteHandler<P> {
  return async (request, context) => {
    const { identity, address, budget } = readForwarded(request.headers)
    try {
      if (!identity) throw new HttpError(401, NOT_LOGGED_IN)
      const ctx = authenticatedContext(identity, address, budget, options.roles)
      const params = (await context?.params) ?? ({} as P)
      return await ctx.run(() => handler({ ...ctx, request, params }))
    } catch (err) {
      return errorResponse(err)
    }
  }
}

/** withAuth for a route under an `[id]` segment: the id parsed once here, an unparseable one answered like an unknown one. */
export function withAuthAndId(
  id: IdParam,
  handler: (ctx: ApiContext<{ id: string }> & { id: string }) => Promise<Response>,
  options: ApiOptions = {},
): RouteHandler<{ id: string }> {
  return withAuth<{ id: string }>(async (ctx) => {
    const parsed = id.parse(ctx.params.id)
    return parsed === null ? id.notFound() : handler({ ...ctx, id: parsed })
  }, options)
}

/** An API route anyone may call (login, the cron route with its own secret): same budget and error answers, identity optional. */
export function withPublic(
  handler: (ctx: MaybeAuthenticated & { request: NextRequest }) => Promise<Response>,
): (request: NextRequest) => Promise<Response> {
  return async (request) => {
    const { budget, ...forwarded } = readForwarded(request.headers)
    const ctx = anonymousContext(forwarded, budget)
    try {
      return await ctx.run(() => handler({ ...ctx, request }))
    } catch (err) {
      return errorResponse(err)
    }
  }
}
