import { NextResponse, type NextRequest } from 'next/server'
import { session } from '@/lib/upstash'

/** The API's budget per client: 100 requests per 15 minutes (the seed's figures). */
export const API_RATE_LIMIT = { limit: 100, windowSeconds: 900 } as const

/**
 * The caller's identity for rate limiting: the first X-Forwarded-For hop (set by the platform's
 * proxy, e.g. Vercel), else X-Real-IP. Keyed by address rather than a client-sent user id, which
 * anyone could vary to escape the limit.
 */
export function clientIdentity(request: NextRequest): string {
  const forwarded = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim()
  // An address is at most 45 characters; anything longer is junk and must not reach the limiter's input checks.
  return (forwarded || request.headers.get('x-real-ip')?.trim() || 'unknown').slice(0, 64)
}

/** Rate limits every API route but the health check (1 Redis command per request). */
export async function proxy(request: NextRequest): Promise<Response> {
  const { limit, windowSeconds } = API_RATE_LIMIT
  const result = await session.rateLimit(`api:${clientIdentity(request)}`, limit, windowSeconds)
  const headers: Record<string, string> = {
    'x-ratelimit-limit': String(result.limit),
    'x-ratelimit-remaining': String(result.remaining),
    'x-ratelimit-reset': String(Math.ceil(result.resetAt / 1000)),
  }
  // Redis was unreachable and the policy let the request through: say so, for monitoring.
  if (result.reason) headers['x-ratelimit-status'] = result.reason
  if (!result.allowed) {
    const retryAfter = Math.max(1, Math.ceil((result.resetAt - Date.now()) / 1000))
    return NextResponse.json(
      { error: 'Rate limit exceeded', retryAfterSeconds: retryAfter },
      { status: 429, headers: { ...headers, 'retry-after': String(retryAfter) } },
    )
  }
  const response = NextResponse.next()
  for (const [k, v] of Object.entries(headers)) response.headers.set(k, v)
  return response
}

export const config = {
  matcher: ['/api/((?!health).*)'],
}
