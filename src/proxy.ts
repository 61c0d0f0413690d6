import { LRUCache } from 'lru-cache'
import { NextResponse, type NextRequest } from 'next/server'
import { isCrossSiteWrite } from '@/lib/auth/csrf'
import type { Identity } from '@/lib/core/identity'
import { resolveSession, sessionCookieName, setSessionCookie } from '@/lib/auth/sessions'
import { addressKey, SERVER_STAMP_HEADER, trustedClientAddress } from '@/lib/core/client-address'
import { appConfig } from '@/lib/core/config'
import { forwardedHeaders, newRequestBudget } from '@/lib/request/protocol'
import {
  RedisUnavailableError,
  runWithRedisBudget,
  session,
  type RateLimitResult,
  type RedisBudget,
} from '@/lib/upstash'
import { scheduleUsageFlush } from '@/lib/usage/upstash-usage'

/**
 * Every request passes here first (Next 16's proxy, Node runtime):
 * 1. resolves the session cookie into an identity (1 Redis command, GETEX: the session's lifetime
 *    slides) and hands it to the app, signed, with the client address and the Redis budget left
 *    (src/lib/request/protocol.ts; any client-sent copy of those headers is dropped);
 * 2. refuses cross-site writes;
 * 3. rate-limits /api/* (except /api/health): logged-in callers by user id, others by client address
 *    (1 command). Both commands go in one round trip when this instance has seen the session before.
 * Both wait on Redis within the request's budget (REDIS_TIMEOUT_MS for the whole request); the route
 * gets what is left of it.
 */

/**
 * Paths without the API rate limit: the health check (monitors poll it), login, which has stricter
 * limits of its own (per e-mail and address, failing closed), and the cron route, which checks its
 * secret before any Redis call: a caller without it costs no billed command.
 */
const UNLIMITED = new Set(['/api/health', '/api/auth/login', '/api/cron/analysis', '/api/cron/drain'])
/** Paths that never look at the session: the health check answers even when the session store cannot; cron has no user. */
const ANONYMOUS = new Set(['/api/health', '/api/cron/analysis', '/api/cron/drain'])
/** Routes that set (or clear) the session cookie themselves. */
const SETS_OWN_COOKIE = new Set(['/api/auth/login', '/api/auth/logout', '/api/auth/logout-all'])
/** Pages whose URL carries a secret token (an invitation, a password reset): never sent on as a Referer. */
const TOKEN_PAGES = new Set(['/invitation', '/mot-de-passe/nouveau'])
/**
 * Pages anonymous visitors use and that call Redis (a token's check, a reset request): their views and
 * their server actions are rate-limited by client address like the API (other anonymous pages cost nothing).
 * Their API routes (/api/auth/password-reset…, /api/invitations/accept) are limited like every API route.
 */
const PUBLIC_PAGES = new Set([...TOKEN_PAGES, '/mot-de-passe-oublie'])

/**
 * session id → user id, for sessions this instance has resolved: lets the user's rate-limit
 * command start alongside the session lookup (one round trip instead of two). Only ids that
 * resolved to a user get here, so a forged cookie cannot spend someone else's budget.
 */
const sessionOwners = new LRUCache<string, string>({ max: 10_000 })

export async function proxy(request: NextRequest): Promise<Response> {
  // Usage meter (/status): saves the pending Upstash command count after the answer when due (≤ 1 HINCRBY).
  scheduleUsageFlush()
  const started = performance.now()
  // The request's Redis budget starts here: what the proxy waits on Redis, the route no longer may.
  const budget = newRequestBudget()
  const response = await runWithRedisBudget(budget, () => resolve(request, budget))
  // What the proxy cost this request (session + rate limit), visible in the browser's devtools and to bench:app.
  response.headers.append('server-timing', `proxy;dur=${(performance.now() - started).toFixed(2)}`)
  return response
}

async function resolve(request: NextRequest, budget: RedisBudget): Promise<Response> {
  const config = appConfig()
  const { pathname } = request.nextUrl
  const isApi = pathname === '/api' || pathname.startsWith('/api/')

  // A path with broken percent-encoding (`/api/dossiers/%ZZ`, an encoded lone surrogate `%ED%A0%80`)
  // makes Next's route matching throw while decoding a dynamic segment: a 500 for the client's error.
  if (!decodable(pathname)) {
    return isApi
      ? NextResponse.json({ error: 'malformed URL: invalid percent-encoding in the path' }, { status: 400 })
      : new NextResponse('Adresse invalide', { status: 400 })
  }

  // Behind its public name only: a request for another Host (DNS rebinding, a stray domain pointed at the
  // app) is refused in production once APP_ORIGIN says which name that is. Health checks may use any.
  if (
    config.production &&
    config.appOrigin &&
    pathname !== '/api/health' &&
    !servedHost(request, config.appOrigin, config.trustedProxyHops)
  ) {
    return isApi
      ? NextResponse.json({ error: 'unknown host: this app answers on its APP_ORIGIN only' }, { status: 421 })
      : new NextResponse('Adresse inconnue', { status: 421 })
  }

  if (isCrossSiteWrite(request, config.appOrigin ? [config.appOrigin] : [])) {
    return NextResponse.json({ error: 'cross-site request refused' }, { status: 403 })
  }

  // Settled once here, for the rate limit below and for the routes (login's limits).
  const address = trustedClientAddress(request.headers, config)
  const cookieName = sessionCookieName(config.production)
  const sessionId = ANONYMOUS.has(pathname) ? undefined : request.cookies.get(cookieName)?.value
  // Which budget this request spends: the API's (API routes, and server actions, which are the same
  // writes through a form), or the page views' (pages and their prefetches, logged-in users only:
  // an anonymous page is the login page or a redirect to it, which costs nothing).
  const isAction = request.method === 'POST' && request.headers.has('next-action')
  const kind: 'api' | 'page' | null = isApi ? (UNLIMITED.has(pathname) ? null : 'api') : isAction ? 'api' : 'page'
  const rateLimit = (k: 'api' | 'page', who: string) => {
    const { limit, windowSeconds } = k === 'api' ? config.apiRateLimit : config.pageRateLimit
    return session.rateLimit(`${k}:${who}`, limit, windowSeconds)
  }

  let identity: Identity | null = null
  let verdict: RateLimitResult | undefined
  try {
    const knownOwner = sessionId ? sessionOwners.get(sessionId) : undefined
    if (sessionId && knownOwner && kind) {
      ;[identity, verdict] = await Promise.all([resolveSession(sessionId), rateLimit(kind, `user:${knownOwner}`)])
    } else if (sessionId) {
      identity = await resolveSession(sessionId)
    }
    if (identity) sessionOwners.set(sessionId!, identity.userId)
    else if (sessionId) sessionOwners.delete(sessionId)
    // Counted again under the right name when the session turned out not to be that user's any more.
    if (kind && (!verdict || !identity)) {
      if (identity) verdict = await rateLimit(kind, `user:${identity.userId}`)
      else if ((kind === 'api' && isApi) || (kind && PUBLIC_PAGES.has(pathname)))
        verdict = await rateLimit(kind, `ip:${addressKey(address)}`)
      else verdict = undefined
    }
  } catch (err) {
    if (err instanceof RedisUnavailableError) {
      // Without the session store nobody can be identified: say so rather than treat everyone as anonymous.
      return isApi
        ? NextResponse.json(
            { error: 'session store unavailable; try again shortly' },
            { status: 503, headers: { 'retry-after': '5' } },
          )
        : new NextResponse('Service momentanément indisponible', { status: 503, headers: { 'retry-after': '5' } })
    }
    throw err
  }

  const limitHeaders = verdict ? rateLimitHeaders(verdict) : {}
  if (verdict && !verdict.allowed) {
    const retryAfter = Math.max(1, Math.ceil((verdict.resetAt - Date.now()) / 1000))
    const refusal = { ...limitHeaders, 'retry-after': String(retryAfter), 'cache-control': 'private, no-store' }
    if (!isApi && !isAction) {
      const minutes = Math.ceil(retryAfter / 60)
      return new NextResponse(
        `Trop de pages demandées en peu de temps. Réessayez dans ${minutes} minute${minutes > 1 ? 's' : ''}.`,
        {
          status: 429,
          headers: { ...refusal, 'content-type': 'text/plain; charset=utf-8' },
        },
      )
    }
    return NextResponse.json(
      { error: 'Rate limit exceeded', retryAfterSeconds: retryAfter },
      { status: 429, headers: refusal },
    )
  }

  const headers = forwardedHeaders(request.headers, { identity, address, budget })
  headers.delete(SERVER_STAMP_HEADER) // scripts/serve.ts's proof for this proxy: the app has no use for it
  // Pages: a per-request nonce in a strict CSP; Next reads it from the request's header and puts it on its scripts.
  const csp = isApi ? undefined : contentSecurityPolicy(config.production)
  if (csp) headers.set('content-security-policy', csp)
  const response = NextResponse.next({ request: { headers } })
  if (csp) response.headers.set('content-security-policy', csp)
  for (const [k, v] of Object.entries(limitHeaders)) response.headers.set(k, v)
  // A logged-in answer is the user's alone: no shared cache may keep it.
  if (identity) response.headers.set('cache-control', 'private, no-store')
  if (TOKEN_PAGES.has(pathname)) {
    response.headers.set('referrer-policy', 'no-referrer')
    response.headers.set('cache-control', 'private, no-store')
  }
  // The cookie lives as long as the session may (set at login); the sliding part is Redis's. So it is sent
  // again only to clear one that no longer opens a session. (Login and logout set it themselves.)
  if (sessionId && !identity && !SETS_OWN_COOKIE.has(pathname)) setSessionCookie(response, null)
  return response
}

/**
 * A page's Content-Security-Policy: scripts only with this request's nonce (and what they load,
 * 'strict-dynamic'), everything else from the app itself, no plugins, no framing, forms posting home.
 * Development adds 'unsafe-eval', which React's dev tooling needs.
 */
function contentSecurityPolicy(production: boolean): string {
  const nonce = btoa(crypto.randomUUID())
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${production ? '' : " 'unsafe-eval'"}`,
    // Inline style attributes only (React sets some); no inline <style> can run script.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    ...(production ? ['upgrade-insecure-requests'] : []),
  ].join('; ')
}

/** The request's Host is the app's public one (or, behind our own proxies, the X-Forwarded-Host they set). */
function servedHost(request: NextRequest, appOrigin: string, trustedProxyHops: number): boolean {
  const expected = new URL(appOrigin).host.toLowerCase()
  const host = request.headers.get('host')?.toLowerCase()
  const forwarded =
    trustedProxyHops > 0 ? request.headers.get('x-forwarded-host')?.split(',')[0]?.trim().toLowerCase() : undefined
  return host === expected || forwarded === expected
}

/** true when every percent-escape of `path` decodes (valid UTF-8, no lone surrogate). */
function decodable(path: string): boolean {
  try {
    decodeURIComponent(path)
    return true
  } catch {
    return false
  }
}

function rateLimitHeaders(r: RateLimitResult): Record<string, string> {
  const h: Record<string, string> = {
    'x-ratelimit-limit': String(r.limit),
    'x-ratelimit-remaining': String(r.remaining),
    'x-ratelimit-reset': String(Math.ceil(r.resetAt / 1000)),
  }
  // Let through (or refused) without Redis's answer: say so, for monitoring.
  if (r.reason) h['x-ratelimit-status'] = r.reason
  return h
}

export const config = {
  // Everything but Next's static assets: pages need the identity too, and a client-sent identity header must never get through.
  // Anchored: `/icon.svgX` or `/_next/staticX` merely start like an asset, and a page (with its server actions) answers them.
  // (No favicon.ico here: the not-found page answers it, so it goes through the proxy like any page.)
  matcher: ['/((?!_next/static/|_next/image$|icon\\.svg$).*)'],
}
