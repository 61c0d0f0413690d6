import { withAuth } from '@/lib/request/api'
import { cabinetCache } from '@/lib/tenants/cabinet-cache'

export const dynamic = 'force-dynamic'

/** The logged-in user and their cabinet's profile (name, plan, active dossiers). */
export const GET = withAuth(async ({ identity: { userId, email, name, role, tenantId } }) => {
  const cabinet = await cabinetCache().profile(tenantId)
  return Response.json({ user: { id: userId, email, name, role, tenant: { id: tenantId, ...cabinet } } })
})
