import { NextResponse } from 'next/server'
import { logout, setSessionCookie } from '@/lib/auth/sessions'
import { withAuth } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

/** Deletes the session in Redis (the old cookie is refused from now on) and clears the cookie. */
export const POST = withAuth(async ({ identity }) => {
  await logout(identity)
  const response = NextResponse.json({ ok: true })
  setSessionCookie(response, null)
  return response
})
