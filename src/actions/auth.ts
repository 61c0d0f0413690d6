'use server'
import { cookies } from 'next/headers'
import { redirect } from 'next/navigation'
import { ZodError } from 'zod'
import { HttpError } from '@/lib/core/http-error'
import { safeNext } from '@/lib/request/paths'
import { publicAction } from '@/lib/request/action'
import { deviceCookieName, login, logout, setDeviceCookie, setSessionCookie } from '@/lib/auth/sessions'

export interface LoginState {
  error?: string
  /** Which field to mark invalid: only for a malformed input, never for a wrong pair. */
  field?: 'email' | 'password'
  email: string
  next: string
}

/** The login form: same checks, limits and session as POST /api/auth/login, then back to `next`. */
export const loginAction = publicAction(async (ctx, _prev: LoginState, form: FormData): Promise<LoginState> => {
  const email = String(form.get('email') ?? '')
  const next = safeNext(form.get('next'))
  const state = { email, next }
  if (email.trim() === '') return { ...state, field: 'email', error: 'Saisissez votre adresse e-mail.' }
  if (String(form.get('password') ?? '') === '')
    return { ...state, field: 'password', error: 'Saisissez votre mot de passe.' }
  let cookie: string
  let device: string
  try {
    // The address the proxy settled (the platform's, scripts/serve.ts's, or 'unverified').
    ;({ cookie, device } = await login(
      { email, password: form.get('password') },
      ctx.address,
      (await cookies()).get(deviceCookieName())?.value,
    ))
  } catch (err) {
    if (err instanceof ZodError) {
      const onEmail = err.issues.some((i) => i.path[0] === 'email')
      return onEmail
        ? { ...state, field: 'email', error: 'Saisissez une adresse e-mail valide (ex. nom@cabinet.fr).' }
        : { ...state, error: 'E-mail ou mot de passe incorrect.' }
    }
    if (err instanceof HttpError && err.status === 401) return { ...state, error: 'E-mail ou mot de passe incorrect.' }
    if (err instanceof HttpError && err.status === 429)
      return { ...state, error: 'Trop de tentatives de connexion. Réessayez dans quelques minutes.' }
    if (err instanceof HttpError && err.status === 503)
      return { ...state, error: 'La connexion est momentanément indisponible. Réessayez dans un instant.' }
    throw err
  }
  setSessionCookie({ cookies: await cookies() }, cookie)
  setDeviceCookie({ cookies: await cookies() }, device)
  redirect(next)
})

/** "Se déconnecter": the session is deleted in Redis (the old cookie is refused from now on). */
export const logoutAction = publicAction(async (ctx): Promise<void> => {
  if (ctx.identity)
    await logout(ctx.identity).catch((err: Error) => console.warn(`[logout] session not deleted: ${err.message}`))
  setSessionCookie({ cookies: await cookies() }, null)
  // The login page confirms it: "Vous êtes déconnecté(e)."
  redirect('/login?deconnecte=1')
})
