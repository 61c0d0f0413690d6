import { headers } from 'next/headers'
import { redirect } from 'next/navigation'
import { cache } from 'react'
import { decodeIdentity, IDENTITY_HEADER, type Identity } from '@/lib/auth/identity'
import { budgetLeft } from '@/lib/request-budget'
import { runWithRedisBudget, type RedisBudget } from '@/lib/upstash'

/**
 * Who is looking at a page: the identity src/proxy.ts resolved from the session cookie and passed
 * in IDENTITY_HEADER (after deleting any client-sent copy). No Redis call here.
 */
export async function currentIdentity(): Promise<Identity | null> {
  return decodeIdentity((await headers()).get(IDENTITY_HEADER))
}

/**
 * Runs a page's or a server action's Redis work under what the proxy left of the request's Redis
 * budget, as route() does for API routes: the whole request waits REDIS_TIMEOUT_MS at most on Redis.
 */
export async function withPageBudget<T>(fn: () => Promise<T>): Promise<T> {
  return runWithRedisBudget(await pageBudget(), fn)
}

/**
 * One budget per rendered request, shared by the layout (the header's profile) and the page (React's
 * cache() is per render): their Redis calls together stay within what the proxy left. A server action
 * runs outside the render (cache() does not memoize there), so it and the render after it each get
 * what the proxy left.
 */
const pageBudget = cache(async (): Promise<RedisBudget> => budgetLeft(await headers()))

/** The identity, or a redirect to /login that brings the visitor back to `path` afterwards. */
export async function requireUser(path: string): Promise<Identity> {
  const identity = await currentIdentity()
  if (!identity) redirect(loginPath(path))
  return identity
}

/** `/login?next=<path>` (no `next` for the default landing page). */
export function loginPath(path: string): string {
  const next = safeNext(path)
  return next === DEFAULT_LANDING ? '/login' : `/login?next=${encodeURIComponent(next)}`
}

export const DEFAULT_LANDING = '/dossiers'

/**
 * Where to go after login: `next` only when it is a path of this site (no scheme, no host, no
 * `//evil.example` nor `/\evil.example`, which browsers read as another host), else the dossiers.
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > 2000) return DEFAULT_LANDING
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return DEFAULT_LANDING
  // Control characters and backslashes have no place in our paths; browsers strip or rewrite them.
  if (/[\u0000-\u001F\u007F\\]/.test(next)) return DEFAULT_LANDING
  let url: URL
  try {
    url = new URL(next, 'http://iapm.invalid')
  } catch {
    return DEFAULT_LANDING
  }
  if (url.origin !== 'http://iapm.invalid') return DEFAULT_LANDING
  const path = `${url.pathname}${url.search}`
  // Checked again once dot segments are resolved: `/.//evil.example`, `/a/..//evil.example` and
  // `/%2e%2e//evil.example` all become `//evil.example`, which a browser follows to another host.
  if (!path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return DEFAULT_LANDING
  if (path === '/login' || path.startsWith('/login?') || path.startsWith('/api/')) return DEFAULT_LANDING
  return path
}
