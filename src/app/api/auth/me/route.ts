import { requireIdentity } from '@/lib/auth/identity'
import { cachedQueries } from '@/lib/cached-queries'
import { route } from '@/lib/http'

export const dynamic = 'force-dynamic'

/** The logged-in user and their cabinet's profile (name, plan, active dossiers). */
export const GET = route(async (request: Request) => {
  const { userId, email, name, role, tenantId } = requireIdentity(request)
  const cabinet = await cachedQueries().getTenantProfile(tenantId)
  return Response.json({ user: { id: userId, email, name, role, tenant: { id: tenantId, ...cabinet } } })
})
