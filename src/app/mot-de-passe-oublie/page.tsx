import type { Metadata } from 'next'
import { BackToLogin } from '@/components/accounts/back-to-login'
import { ResetRequestForm } from '@/components/accounts/reset-request-form'
import { requestPasswordResetAction } from '@/actions/accounts'

export const metadata: Metadata = { title: 'Mot de passe oublié' }

/** Anyone: an e-mail, then always the same confirmation (nothing says whether the address has an account). */
export default function ForgottenPasswordPage() {
  return (
    <main id="contenu" className="mx-auto max-w-md">
      <div className="card">
        <h1 className="text-2xl font-bold text-slate-900">Mot de passe oublié</h1>
        <p className="mt-1 mb-6 text-sm text-slate-700">
          Indiquez l’adresse e-mail de votre compte : vous recevrez un lien pour choisir un nouveau mot de passe.
        </p>
        <ResetRequestForm action={requestPasswordResetAction} />
      </div>
      <BackToLogin />
    </main>
  )
}
