import { passwordReset } from '@/lib/accounts/password-reset'
import { addressKey } from '@/lib/core/client-address'
import { readJson } from '@/lib/request/http'
import { drainEmailsAfterResponse } from '@/lib/mail/drain'
import { withPublic } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

/**
 * `{ email }` → 202 `{ accepted: true }` whatever the address (nothing says whether it has an account): an
 * active account gets an e-mail with a single-use link valid 1 hour. 400 for a malformed address, 429 when
 * this client asked too often, 503 while the session store is unreachable.
 */
export const POST = withPublic(async ({ request, address }) => {
  const result = await passwordReset().request(await readJson(request), addressKey(address))
  // Also when nothing was queued: one empty reserve, and the answer takes the same path either way.
  drainEmailsAfterResponse()
  return Response.json(result, { status: 202 })
})
