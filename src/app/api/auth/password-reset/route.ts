import { passwordReset } from '@/lib/accounts/password-reset'
import { addressKey } from '@/lib/core/client-address'
import { readJson } from '@/lib/request/http'
import { withPublic } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

/**
 * `{ email }` → 202 `{ accepted: true }` whatever the address (nothing says whether it has an account, not
 * even the time it takes: the account is looked up after the answer, which then sends its e-mail): an
 * active account gets an e-mail with a single-use link valid 1 hour. 400 for a malformed address, 429 when
 * this client asked too often, 503 while the session store is unreachable.
 */
export const POST = withPublic(async ({ request, address }) => {
  const result = await passwordReset().request(await readJson(request), addressKey(address))
  return Response.json(result, { status: 202 })
})
