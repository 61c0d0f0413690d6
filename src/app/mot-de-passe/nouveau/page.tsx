import type { Metadata } from 'next'
import Link from 'next/link'
import { BackToLogin } from '@/components/accounts/back-to-login'
import { NewPasswordForm } from '@/components/accounts/new-password-form'
import { confirmPasswordResetAction } from '@/actions/accounts'
import { passwordReset } from '@/lib/accounts/password-reset'
import { optionalPageContext } from '@/lib/request/page'

export const metadata: Metadata = { title: 'Nouveau mot de passe', referrer: 'no-referrer' }

type Props = { searchParams: Promise<{ token?: string | string[] }> }

/**
 * The password reset e-mail's link (its token in the URL; the proxy sends this page with Referrer-Policy:
 * no-referrer). A link expired, used or made before the password last changed says so, with a way to ask again.
 */
export default async function NewPasswordPage({ searchParams }: Props) {
  const raw = (await searchParams).token
  const token = typeof raw === 'string' ? raw : ''
  const ctx = await optionalPageContext()
  let state: 'valid' | 'invalid' | 'unavailable'
  try {
    state = (await ctx.run(() => passwordReset().check(token))) ? 'valid' : 'invalid'
  } catch {
    state = 'unavailable'
  }
  return (
    <main id="contenu" className="mx-auto max-w-md">
      <div className="card">
        {state === 'valid' ? (
          <>
            <h1 className="text-2xl font-bold text-slate-900">Nouveau mot de passe</h1>
            <p className="mt-1 mb-6 text-sm text-slate-700">
              Choisissez votre nouveau mot de passe. Vous serez ensuite déconnecté de tous vos appareils.
            </p>
            <NewPasswordForm action={confirmPasswordResetAction.bind(null, token)} />
          </>
        ) : state === 'invalid' ? (
          <>
            <h1 className="text-2xl font-bold text-slate-900">Lien expiré ou déjà utilisé</h1>
            <p className="mt-2 text-sm text-slate-700">
              Ce lien de réinitialisation n’est plus valable : il n’est utilisable qu’une fois, pendant une heure.
            </p>
            <Link href="/mot-de-passe-oublie" className="btn-primary mt-6 w-full">
              Demander un nouveau lien
            </Link>
          </>
        ) : (
          <>
            <h1 className="text-2xl font-bold text-slate-900">Service momentanément indisponible</h1>
            <p className="mt-2 text-sm text-slate-700">
              Nous ne pouvons pas vérifier ce lien pour le moment. Réessayez dans un instant : il reste valable.
            </p>
          </>
        )}
      </div>
      <BackToLogin />
    </main>
  )
}
