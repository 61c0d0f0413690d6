import { deadlines } from '@/lib/deadlines/service'
import { HttpError } from '@/lib/core/http-error'
import { withAuth } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

const PARAMS = new Set(['from', 'to', 'limit', 'includeDone'])

/**
 * The cabinet's deadlines `{ deadlines }`, soonest first: `?from=&to=` (same forms as dueAt), `?limit=`
 * (≤ 500, default 200), `?includeDone=true`. Proposals from the analysis included (status 'proposed'),
 * dismissed ones not.
 */
export const GET = withAuth(async ({ tenantId, userId, request }) => {
  const query: Record<string, string> = {}
  for (const [key, value] of request.nextUrl.searchParams) {
    if (!PARAMS.has(key))
      throw new HttpError(400, `unknown parameter ${key.slice(0, 40)}: use from, to, limit or includeDone`)
    if (key in query) throw new HttpError(400, `parameter ${key} given twice`)
    query[key] = value
  }
  return Response.json({ deadlines: await deadlines().list({ cabinetId: tenantId, userId }, query) })
})
