'use server'
import { cookies } from 'next/headers'
import { redirect } from 'next/navigation'
import { deviceCookieName, login, logout, setDeviceCookie, setSessionCookie } from '@/lib/auth/sessions'
import { addressKey } from '@/lib/core/client-address'
import { HttpError } from '@/lib/core/http-error'
import { drainEmailsAfterResponse } from '@/lib/mail/drain'
import { authedAction, publicAction } from '@/lib/request/action'
import type { RequestContext } from '@/lib/request/context'
import { RedisDisabledError, RedisUnavailableError } from '@/lib/upstash'
import { invitations, invitationSchema } from '@/lib/accounts/invitations'
import { passwordReset } from '@/lib/accounts/password-reset'
import { emailSchema, newPasswordSchema } from '@/lib/accounts/shared'

/**
 * The account forms (invite a colleague, accept an invitation, forgotten password, new password): the same
 * services as the API routes, French messages, the values as typed kept on a refusal. Never logs a token.
 */

const unavailable = (err: unknown) =>
  (err instanceof HttpError && err.status === 503) ||
  err instanceof RedisUnavailableError ||
  err instanceof RedisDisabledError
const UNAVAILABLE = 'Le service est momentanément indisponible. Réessayez dans un instant.'
const PASSWORD_RULE = 'Le mot de passe doit contenir au moins 10 caractères (une phrase de passe convient très bien).'

// ---- invitations --------------------------------------------------------------------------------

export interface InviteState {
  values: { email: string; role: string }
  errors: Partial<Record<'email' | 'role' | 'form', string>>
  /** The last invitation sent (a new object each time, so the form resets and announces it). */
  sent?: { at: number; email: string }
}

/** « Inviter un collaborateur » (/compte, ADMIN only): the colleague receives an e-mail with a link valid 7 days. */
export const inviteAction = authedAction(
  '/compte',
  async (ctx: RequestContext, _prev: InviteState, form: FormData): Promise<InviteState> => {
    const values = { email: String(form.get('email') ?? ''), role: String(form.get('role') ?? '') }
    const parsed = invitationSchema.safeParse(values)
    if (!parsed.success) {
      const errors: InviteState['errors'] = {}
      for (const issue of parsed.error.issues) {
        if (issue.path[0] === 'email')
          errors.email =
            values.email.trim() === ''
              ? 'L’adresse e-mail est obligatoire.'
              : 'Saisissez une adresse e-mail valide (ex. prenom.nom@cabinet.fr).'
        else if (issue.path[0] === 'role') errors.role = 'Choisissez un rôle dans la liste.'
      }
      return { values, errors }
    }
    try {
      await invitations().invite({ cabinetId: ctx.tenantId, userId: ctx.userId, role: ctx.role }, parsed.data)
    } catch (err) {
      if (err instanceof HttpError && err.status === 403)
        return { values, errors: { form: 'Seul un administrateur du cabinet peut inviter un collaborateur.' } }
      if (err instanceof HttpError && err.status === 409)
        return {
          values,
          errors: {
            email:
              'Cette adresse a déjà un compte : la personne peut se connecter, ou demander un nouveau mot de passe.',
          },
        }
      if (err instanceof HttpError && err.status === 429)
        return { values, errors: { form: 'Trop d’invitations envoyées aujourd’hui. Réessayez demain.' } }
      if (unavailable(err)) return { values, errors: { form: UNAVAILABLE } }
      throw err
    }
    drainEmailsAfterResponse()
    return { values: { email: '', role: values.role }, errors: {}, sent: { at: Date.now(), email: parsed.data.email } }
  },
)

export interface AcceptState {
  name: string
  errors: Partial<Record<'name' | 'password' | 'confirm' | 'form', string>>
}

/**
 * The invitation page's form: creates the account in the inviting cabinet, then logs the new member in
 * (or, should that fail, sends them to the login page with a confirmation).
 */
export const acceptInvitationAction = publicAction(
  async (ctx, token: string, _prev: AcceptState, form: FormData): Promise<AcceptState> => {
    const name = String(form.get('name') ?? '')
    const password = String(form.get('password') ?? '')
    const errors: AcceptState['errors'] = {}
    if (name.trim() === '') errors.name = 'Votre nom est obligatoire.'
    else if (name.trim().length > 100) errors.name = 'Le nom ne doit pas dépasser 100 caractères.'
    if (!newPasswordSchema.safeParse(password).success) errors.password = PASSWORD_RULE
    else if (password !== String(form.get('confirm') ?? ''))
      errors.confirm = 'Les deux mots de passe ne sont pas identiques.'
    if (Object.keys(errors).length > 0) return { name, errors }
    let email: string
    try {
      ;({ email } = await invitations().accept({ token, name, password }))
    } catch (err) {
      if (err instanceof HttpError && err.status === 409)
        return {
          name,
          errors: {
            form: 'Cette adresse a déjà un compte : connectez-vous, ou demandez un nouveau mot de passe.',
          },
        }
      if (err instanceof HttpError && err.status === 400)
        return {
          name,
          errors: {
            form: 'Ce lien d’invitation n’est plus valable (expiré ou déjà utilisé). Demandez à votre cabinet de vous inviter à nouveau.',
          },
        }
      if (unavailable(err)) return { name, errors: { form: UNAVAILABLE } }
      throw err
    }
    drainEmailsAfterResponse()
    const jar = await cookies()
    let opened: Awaited<ReturnType<typeof login>> | null = null
    try {
      // Whoever was logged in on this browser is logged out: it is the new member's now.
      if (ctx.identity) await logout(ctx.identity)
      opened = await login({ email, password }, ctx.address, jar.get(deviceCookieName())?.value)
    } catch (err) {
      console.warn(`[accounts] new member not logged in automatically: ${(err as Error).message}`)
    }
    if (!opened) redirect('/login?compte=cree')
    setSessionCookie({ cookies: jar }, opened.cookie)
    setDeviceCookie({ cookies: jar }, opened.device)
    redirect('/dossiers')
  },
)

// ---- password reset -----------------------------------------------------------------------------

export interface ResetRequestState {
  email: string
  error?: string
  /** The error is about the e-mail field (else about the whole form). */
  field?: 'email'
  /** The same confirmation whatever the address. */
  sent?: boolean
}

/**
 * « Mot de passe oublié ? »: always the same confirmation, after the same work whatever the address (nothing
 * says whether it has an account, not even the time it takes).
 */
export const requestPasswordResetAction = publicAction(
  async (ctx, _prev: ResetRequestState, form: FormData): Promise<ResetRequestState> => {
    const email = String(form.get('email') ?? '')
    if (email.trim() === '') return { email, field: 'email', error: 'L’adresse e-mail est obligatoire.' }
    if (!emailSchema.safeParse(email).success)
      return { email, field: 'email', error: 'Saisissez une adresse e-mail valide (ex. prenom.nom@cabinet.fr).' }
    try {
      await passwordReset().request({ email }, addressKey(ctx.address))
    } catch (err) {
      if (err instanceof HttpError && err.status === 429)
        return { email, error: 'Trop de demandes en peu de temps. Réessayez dans quelques minutes.' }
      if (unavailable(err)) return { email, error: UNAVAILABLE }
      throw err
    }
    // The account is looked up, and its e-mail queued and sent, after this answer (the service's after()).
    return { email: '', sent: true }
  },
)

export interface ResetConfirmState {
  errors: Partial<Record<'password' | 'confirm' | 'form', string>>
  /** The link turned out to be spent or expired: the page offers to ask again. */
  expired?: boolean
}

/** The new password (twice): every session of the user ends, then the login page says it worked. */
export const confirmPasswordResetAction = publicAction(
  async (ctx, token: string, _prev: ResetConfirmState, form: FormData): Promise<ResetConfirmState> => {
    const password = String(form.get('password') ?? '')
    if (!newPasswordSchema.safeParse(password).success) return { errors: { password: PASSWORD_RULE } }
    if (password !== String(form.get('confirm') ?? ''))
      return { errors: { confirm: 'Les deux mots de passe ne sont pas identiques.' } }
    let userId: string
    try {
      ;({ userId } = await passwordReset().confirm({ token, password }))
    } catch (err) {
      if (err instanceof HttpError && err.status === 400)
        return { errors: { form: 'Ce lien a expiré ou a déjà servi.' }, expired: true }
      if (unavailable(err)) return { errors: { form: UNAVAILABLE } }
      throw err
    }
    // Their sessions are over (this browser's too, if it was theirs): its cookie goes with them.
    if (ctx.identity?.userId === userId) setSessionCookie({ cookies: await cookies() }, null)
    redirect('/login?motdepasse=modifie')
  },
)
