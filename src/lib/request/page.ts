import { headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { cache } from 'react'
import { loginPath } from '@/lib/request/paths'
import { anonymousContext, authenticatedContext, type MaybeAuthenticated, type RequestContext } from './context'
import { readForwarded, type Forwarded } from './protocol'

/**
 * Read once per render (React's cache() is per request), so the layout and the page share one Redis
 * budget: their Redis calls together stay within what the proxy left. No Redis call here.
 */
const forwarded = cache(async (): Promise<Forwarded> => readForwarded(await headers()))

/** A page's context, or a redirect to /login that brings the visitor back to `path` afterwards. */
export async function pageContext(path: string): Promise<RequestContext> {
  const { identity, address, budget } = await forwarded()
  if (!identity) redirect(loginPath(path))
  return authenticatedContext(identity, address, budget)
}

/** The context of a page anyone may see (the layout, the login page): identity null when anonymous. */
export async function optionalPageContext(): Promise<MaybeAuthenticated> {
  const { budget, ...rest } = await forwarded()
  return anonymousContext(rest, budget)
}
