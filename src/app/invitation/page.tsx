import type { Metadata } from 'next'
import Link from 'next/link'
import { AcceptInvitationForm } from '@/components/accounts/accept-invitation-form'
import { acceptInvitationAction } from '@/actions/accounts'
import { invitations } from '@/lib/accounts/invitations'
import { ROLE_LABELS } from '@/lib/pages/labels'
import { optionalPageContext } from '@/lib/request/page'

export const metadata: Metadata = { title: 'Invitation', referrer: 'no-referrer' }

type Props = { searchParams: Promise<{ token?: string | string[] }> }

/**
 * The invitation e-mail's link (its token in the URL; the proxy sends this page with Referrer-Policy:
 * no-referrer): who invites whom, then the new member's name and password; they are logged in at once.
 */
export default async function InvitationPage({ searchParams }: Props) {
  const raw = (await searchParams).token
  const token = typeof raw === 'string' ? raw : ''
  const ctx = await optionalPageContext()
  let invitation: Awaited<ReturnType<ReturnType<typeof invitations>['peek']>> = null
  let unavailable = false
  try {
    invitation = await ctx.run(() => invitations().peek(token))
  } catch {
    unavailable = true
  }
  return (
    <main id="contenu" className="mx-auto max-w-md">
      <div className="card">
        {invitation ? (
          <>
            <h1 className="text-2xl font-bold break-words text-slate-900">{`Rejoindre ${invitation.cabinetName}`}</h1>
            <p className="mt-1 mb-6 text-sm text-slate-700">
              Vous êtes invité(e) sur IA Poste Manager avec le rôle{' '}
              <strong>{ROLE_LABELS[invitation.role] ?? invitation.role}</strong>. Choisissez votre nom tel que vos
              collègues le verront, et votre mot de passe.
            </p>
            <AcceptInvitationForm action={acceptInvitationAction.bind(null, token)} email={invitation.email} />
          </>
        ) : unavailable ? (
          <>
            <h1 className="text-2xl font-bold text-slate-900">Service momentanément indisponible</h1>
            <p className="mt-2 text-sm text-slate-700">
              Nous ne pouvons pas vérifier cette invitation pour le moment. Réessayez dans un instant : elle reste
              valable.
            </p>
          </>
        ) : (
          <>
            <h1 className="text-2xl font-bold text-slate-900">Invitation expirée ou déjà utilisée</h1>
            <p className="mt-2 text-sm text-slate-700">
              Ce lien d’invitation n’est plus valable : il n’est utilisable qu’une fois, pendant 7 jours. Demandez à
              l’administrateur de votre cabinet de vous inviter à nouveau.
            </p>
          </>
        )}
      </div>
      <p className="mt-4 text-center text-sm">
        Déjà un compte ?{' '}
        <Link href="/login" className="link">
          Se connecter
        </Link>
      </p>
    </main>
  )
}
