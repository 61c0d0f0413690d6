import { AI_ANALYSIS_QUEUE } from '@/lib/ai-queue'
import { requireIdentity, requireRole } from '@/lib/auth/identity'
import { route } from '@/lib/http'
import { queue } from '@/lib/upstash'

export const dynamic = 'force-dynamic'

/** The analysis queue's counts (waiting, in flight, delayed, dead). ADMIN only. */
export const GET = route(async (request: Request) => {
  requireRole(requireIdentity(request), 'ADMIN')
  return Response.json({ queue: AI_ANALYSIS_QUEUE, ...(await queue.stats(AI_ANALYSIS_QUEUE)) })
})
