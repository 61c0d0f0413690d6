import { passwordReset } from '@/lib/accounts/password-reset'
import { readJson } from '@/lib/request/http'
import { withPublic } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

/**
 * `{ token, password }` → 200 `{ ok: true, sessionsEnded }`: the new password is set, the old one stops working
 * and every session of the user ends. 400 for a link invalid, expired or already used, or a password under
 * 10 characters (which does not spend the link).
 */
export const POST = withPublic(async ({ request }) => {
  const { sessionsEnded } = await passwordReset().confirm(await readJson(request))
  return Response.json({ ok: true, sessionsEnded })
})
