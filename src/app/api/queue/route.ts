import { AI_ANALYSIS_QUEUE } from '@/lib/analyses/job'
import { analysisReads } from '@/lib/analyses/read-model'
import { HttpError } from '@/lib/core/http-error'
import { isPlatformOperator } from '@/lib/core/platform'
import { withAuth } from '@/lib/request/api'
import { queue } from '@/lib/upstash'

export const dynamic = 'force-dynamic'

/**
 * The analyses of the caller's cabinet by status, `{ cabinet: { waiting, running, done, failed } }` (ADMIN;
 * from the database, free), and for platform operators (PLATFORM_ADMIN_EMAILS) only, the shared Redis
 * queue's counts `platform: { queue, waiting, inFlight, delayed, dead }` (every cabinet's jobs). Else 403.
 */
export const GET = withAuth(async ({ identity }) => {
  const admin = identity.role === 'ADMIN'
  const operator = isPlatformOperator(identity)
  if (!admin && !operator) throw new HttpError(403, 'this needs the role ADMIN')
  const [cabinet, platform] = await Promise.all([
    admin ? analysisReads().countsOf(identity.tenantId) : undefined,
    operator ? queue.stats(AI_ANALYSIS_QUEUE).then((stats) => ({ queue: AI_ANALYSIS_QUEUE, ...stats })) : undefined,
  ])
  return Response.json({ ...(cabinet && { cabinet }), ...(platform && { platform }) })
})
