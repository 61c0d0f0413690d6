import { headers } from 'next/headers'
import { decodeIdentity, IDENTITY_HEADER } from '@/lib/auth/identity'
import { cachedQueries } from '@/lib/cached-queries'

export const dynamic = 'force-dynamic'

/**
 * Placeholder home until the pages land: the logged-in user's cabinet and its dossiers (cached),
 * nothing at all for an anonymous visitor.
 */
export default async function Home() {
  const identity = decodeIdentity((await headers()).get(IDENTITY_HEADER))
  if (!identity) {
    return (
      <main>
        <h1>IA Poste Manager</h1>
        <p>Connexion requise : POST /api/auth/login avec {'{ email, password }'}.</p>
      </main>
    )
  }
  const queries = cachedQueries()
  const [profile, dossiers] = await Promise.all([queries.getTenantProfile(identity.tenantId), queries.listDossiers(identity.tenantId)])
  return (
    <main>
      <h1>{profile?.name ?? 'IA Poste Manager'}</h1>
      <p>
        {identity.name} ({identity.role}) · {profile?.plan} · {profile?.activeDossiers} dossiers actifs
      </p>
      <ul>
        {dossiers.data.map((d) => (
          <li key={d.id}>
            {d.reference} — {d.title} ({d.clientName}) [{d.status}]
          </li>
        ))}
      </ul>
    </main>
  )
}
