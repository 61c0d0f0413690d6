import { NextResponse } from 'next/server'
import { callerAddress } from '@/lib/auth/identity'
import { login, setSessionCookie } from '@/lib/auth/sessions'
import { readJson, route } from '@/lib/http'

export const dynamic = 'force-dynamic'

/** `{ email, password }` → 200 `{ user }` and a fresh session cookie; 401 without saying which part was wrong. */
export const POST = route(async (request: Request) => {
  const { cookie, user } = await login(await readJson(request), callerAddress(request))
  const response = NextResponse.json({ user })
  setSessionCookie(response, cookie)
  return response
})
