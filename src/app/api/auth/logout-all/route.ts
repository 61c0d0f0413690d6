import { NextResponse } from 'next/server'
import { requireIdentity } from '@/lib/auth/identity'
import { revokeSessions, setSessionCookie } from '@/lib/auth/sessions'
import { route } from '@/lib/http'

export const dynamic = 'force-dynamic'

/** Ends every session of the caller, on every device (this one included) → 200 `{ ended }`, and clears the cookie. */
export const POST = route(async (request: Request) => {
  const ended = await revokeSessions(requireIdentity(request).userId)
  const response = NextResponse.json({ ended })
  setSessionCookie(response, null)
  return response
})
