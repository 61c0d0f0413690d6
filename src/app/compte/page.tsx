import type { Metadata } from 'next'
import { InviteForm } from '@/components/accounts/invite-form'
import { PageTitle } from '@/components/page-title'
import { TeamMemberRow } from '@/components/team-member-row'
import { inviteAction } from '@/actions/accounts'
import { ROLE_LABELS } from '@/lib/pages/labels'
import { pageContext } from '@/lib/request/page'
import { logoutEverywhereAction, updateMemberAction } from '@/actions/users'
import { listTeam } from '@/lib/users/team'

export const metadata: Metadata = { title: 'Mon compte' }

/** The user's account (and "log out everywhere"); for an ADMIN, the cabinet's team too. */
export default async function AccountPage() {
  const { identity } = await pageContext('/compte')
  const team = identity.role === 'ADMIN' ? await listTeam(identity) : null
  return (
    <main id="contenu">
      <PageTitle
        title="Mon compte"
        subtitle={`${identity.name} · ${identity.email} · ${ROLE_LABELS[identity.role] ?? identity.role}`}
      />
      <div className="grid gap-6">
        <section aria-labelledby="sessions-title" className="card">
          <h2 id="sessions-title" className="text-lg font-semibold text-slate-900">
            Sessions
          </h2>
          <p className="mt-2 text-sm text-slate-700">
            Un appareil perdu, un ordinateur partagé ? Fermez toutes vos sessions, celle-ci comprise : il faudra se
            reconnecter partout.
          </p>
          <form action={logoutEverywhereAction} className="mt-4">
            <button type="submit" className="btn-secondary">
              Se déconnecter de tous les appareils
            </button>
          </form>
        </section>
        {team && (
          <section aria-labelledby="invite-title" className="card">
            <h2 id="invite-title" className="text-lg font-semibold text-slate-900">
              Inviter un collaborateur
            </h2>
            <p className="mt-2 mb-4 text-sm text-slate-700">
              La personne reçoit un e-mail avec un lien, valable 7 jours, pour choisir son nom et son mot de passe. Elle
              rejoint alors votre cabinet avec le rôle choisi.
            </p>
            <InviteForm action={inviteAction} />
          </section>
        )}
        {team && (
          <section aria-labelledby="team-title" className="card">
            <h2 id="team-title" className="text-lg font-semibold text-slate-900">
              Équipe du cabinet
            </h2>
            <p className="mt-2 text-sm text-slate-700">
              Un changement de rôle ou d’accès prend effet immédiatement : la personne concernée est déconnectée de tous
              ses appareils.
            </p>
            <ul className="mt-2 divide-y divide-slate-200">
              {team.map((m) => (
                <TeamMemberRow
                  key={m.id}
                  member={m}
                  you={m.id === identity.userId}
                  action={updateMemberAction.bind(null, m.id)}
                />
              ))}
            </ul>
          </section>
        )}
      </div>
    </main>
  )
}
