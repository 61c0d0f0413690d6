import { NextResponse, type NextRequest } from 'next/server'
import { callerAddress } from '@/lib/auth/identity'
import { deviceCookieName, login, setDeviceCookie, setSessionCookie } from '@/lib/auth/sessions'
import { readJson, route } from '@/lib/http'

export const dynamic = 'force-dynamic'

/** `{ email, password }` → 200 `{ user }` and a fresh session cookie; 401 without saying which part was wrong. */
export const POST = route(async (request: NextRequest) => {
  const { cookie, device, user } = await login(await readJson(request), callerAddress(request), request.cookies.get(deviceCookieName())?.value)
  const response = NextResponse.json({ user })
  setSessionCookie(response, cookie)
  setDeviceCookie(response, device)
  return response
})
