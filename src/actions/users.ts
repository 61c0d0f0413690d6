'use server'
import { cookies } from 'next/headers'
import { redirect } from 'next/navigation'
import { revokeSessions, setSessionCookie } from '@/lib/auth/sessions'
import { HttpError } from '@/lib/core/http-error'
import { authedAction, publicAction } from '@/lib/request/action'
import type { RequestContext } from '@/lib/request/context'
import { updateTeamMember, userIdSchema, userPatchSchema } from '@/lib/users/team'

/** "Se déconnecter de tous les appareils": ends every session of the user, this one included. */
export const logoutEverywhereAction = publicAction(async (ctx): Promise<void> => {
  if (ctx.identity) await revokeSessions(ctx.identity.userId)
  setSessionCookie({ cookies: await cookies() }, null)
  redirect('/login?deconnexion=partout')
})

export interface MemberState {
  /** Saved; `changed` when something differed (and the user's sessions were ended). */
  saved?: { changed: boolean }
  error?: string
}

/** One row of the team table: the role and whether the account may log in. ADMIN only, the cabinet's users only. */
export const updateMemberAction = authedAction(
  '/compte',
  async (ctx: RequestContext, userId: string, _prev: MemberState, form: FormData): Promise<MemberState> => {
    const id = userIdSchema.safeParse(userId)
    const patch = userPatchSchema.safeParse({
      role: form.get('role') ?? undefined,
      active: form.get('active') === 'on',
    })
    if (!id.success) return { error: 'Cet utilisateur n’existe pas ou plus.' }
    if (!patch.success) return { error: 'Choisissez un rôle dans la liste.' }
    let changed: boolean
    try {
      ;({ changed } = await updateTeamMember(ctx.identity, id.data, patch.data))
    } catch (err) {
      if (err instanceof HttpError && err.status === 409)
        return { error: 'Le cabinet doit garder au moins un administrateur actif.' }
      if (err instanceof HttpError && err.status === 404) return { error: 'Cet utilisateur n’existe pas ou plus.' }
      if (err instanceof HttpError && err.status === 403)
        return { error: 'Seul un administrateur peut modifier l’équipe.' }
      throw err
    }
    // Changing one's own account ends one's own sessions too: back to the login page.
    if (changed && id.data === ctx.userId) redirect('/login?next=%2Fcompte')
    return { saved: { changed } }
  },
)
