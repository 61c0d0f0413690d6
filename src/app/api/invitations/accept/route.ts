import { invitations } from '@/lib/accounts/invitations'
import { readJson } from '@/lib/request/http'
import { drainEmailsAfterResponse } from '@/lib/mail/drain'
import { withPublic } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

/**
 * `{ token, name, password }` → 201 `{ user: { id, email, role, cabinetId } }`: the account is created in the
 * inviting cabinet, and the new member logs in with POST /api/auth/login. 400 for a link invalid, expired
 * or already used (or a password under 10 characters, which does not spend the link); 409 when the address
 * has an account by now.
 */
export const POST = withPublic(async ({ request }) => {
  const { userId, email, role, cabinetId } = await invitations().accept(await readJson(request))
  // The new member's share of the cabinet's pending reminders was queued: sent when due.
  drainEmailsAfterResponse()
  return Response.json({ user: { id: userId, email, role, cabinetId } }, { status: 201 })
})
