import { NextResponse } from 'next/server'
import { requireIdentity } from '@/lib/auth/identity'
import { logout, setSessionCookie } from '@/lib/auth/sessions'
import { route } from '@/lib/http'

export const dynamic = 'force-dynamic'

/** Deletes the session in Redis (the old cookie is refused from now on) and clears the cookie. */
export const POST = route(async (request: Request) => {
  const identity = requireIdentity(request)
  await logout(identity)
  const response = NextResponse.json({ ok: true })
  setSessionCookie(response, null)
  return response
})
