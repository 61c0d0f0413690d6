import type { Metadata } from 'next'
import Link from 'next/link'
import { redirect } from 'next/navigation'
import { LoginForm } from '@/components/login-form'
import { appConfig } from '@/lib/core/config'
import { safeNext } from '@/lib/request/paths'
import { optionalPageContext } from '@/lib/request/page'

export const metadata: Metadata = { title: 'Connexion' }

/** Confirmations other pages send here with (`?deconnecte=1`, `?motdepasse=modifie`, `?compte=cree`). */
const NOTICES: Record<string, string> = {
  deconnecte: 'Vous êtes déconnecté(e).',
  motdepasse: 'Votre mot de passe a été modifié. Connectez-vous avec le nouveau.',
  compte: 'Votre compte est créé. Connectez-vous avec votre e-mail et votre mot de passe.',
}

export default async function LoginPage({
  searchParams,
}: {
  searchParams: Promise<{
    next?: string | string[]
    deconnecte?: string | string[]
    motdepasse?: string
    compte?: string
  }>
}) {
  const params = await searchParams
  const raw = params.next
  const notice = params.deconnecte
    ? NOTICES.deconnecte
    : params.motdepasse === 'modifie'
      ? NOTICES.motdepasse
      : params.compte === 'cree'
        ? NOTICES.compte
        : undefined
  const next = safeNext(Array.isArray(raw) ? raw[0] : raw)
  if ((await optionalPageContext()).identity) redirect(next)
  return (
    <main id="contenu" className="mx-auto max-w-md">
      <div className="card">
        <h1 className="text-2xl font-bold text-slate-900">Connexion</h1>
        <p className="mt-1 mb-6 text-sm text-slate-700">Accédez aux dossiers de votre cabinet.</p>
        {notice && (
          <p
            role="status"
            className="mb-4 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm font-medium text-emerald-900"
          >
            {notice}
          </p>
        )}
        <LoginForm next={next} />
        <p className="mt-4 text-sm">
          <Link href="/mot-de-passe-oublie" className="link">
            Mot de passe oublié ?
          </Link>
        </p>
      </div>
      {/* The demo accounts' hint, exactly when they may log in (development, or ALLOW_DEMO_ACCOUNTS=true). */}
      {appConfig().allowDemoAccounts && (
        <p className="mt-4 text-center text-sm text-slate-700">
          Comptes de démonstration : <code className="whitespace-nowrap">demo@cabinet-dupont.fr</code>, mot de passe{' '}
          <code className="whitespace-nowrap">demo-password</code>
        </p>
      )}
    </main>
  )
}
