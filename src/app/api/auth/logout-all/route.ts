import { NextResponse } from 'next/server'
import { revokeSessions, setSessionCookie } from '@/lib/auth/sessions'
import { withAuth } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

/** Ends every session of the caller, on every device (this one included) → 200 `{ ended }`, and clears the cookie. */
export const POST = withAuth(async ({ userId }) => {
  const ended = await revokeSessions(userId)
  const response = NextResponse.json({ ended })
  setSessionCookie(response, null)
  return response
})
