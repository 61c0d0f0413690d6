import { NextResponse } from 'next/server'
import { deviceCookieName, login, setDeviceCookie, setSessionCookie } from '@/lib/auth/sessions'
import { readJson } from '@/lib/request/http'
import { withPublic } from '@/lib/request/api'

export const dynamic = 'force-dynamic'

/** `{ email, password }` → 200 `{ user }` and a fresh session cookie; 401 without saying which part was wrong. */
export const POST = withPublic(async ({ request, address }) => {
  const { cookie, device, user } = await login(
    await readJson(request),
    address,
    request.cookies.get(deviceCookieName())?.value,
  )
  const response = NextResponse.json({ user })
  setSessionCookie(response, cookie)
  setDeviceCookie(response, device)
  return response
})
