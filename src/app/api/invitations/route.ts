import { invitations } from '@/lib/accounts/invitations'
import { readJson } from '@/lib/request/http'
import { drainEmailsAfterResponse } from '@/lib/mail/drain'
import { withAuth } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

/**
 * `{ email, role }` → 201 `{ invitation: { email, role, expiresAt } }` (ADMIN only, else 403): the colleague
 * gets an e-mail whose link (7 days, single use) lets them choose a name and a password. 409 when the
 * address already has an account; 429 past the cabinet's daily invitations.
 */
export const POST = withAuth(
  async ({ tenantId, userId, role, request }) => {
    const invitation = await invitations().invite({ cabinetId: tenantId, userId, role }, await readJson(request))
    drainEmailsAfterResponse()
    return Response.json({ invitation }, { status: 201 })
  },
  { roles: ['ADMIN'] },
)
