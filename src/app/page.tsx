import { prisma } from '@/lib/prisma'
import { getCachedDossiers } from '@/lib/cached-queries'
import { getTopTenants } from '@/lib/leaderboard'
import { health } from '@/lib/upstash'

export const dynamic = 'force-dynamic'

/** Placeholder dashboard: store health, each cabinet's dossiers (cached), the leaderboard. */
export default async function Home() {
  const [redis, tenants] = await Promise.all([health(), prisma.tenant.findMany({ orderBy: { name: 'asc' } })])
  const dossiers = await Promise.all(tenants.map((t) => getCachedDossiers(t.id)))
  // The leaderboard lives only in Redis: when it is down or disabled the page still renders.
  const top = await getTopTenants().catch(() => null)

  return (
    <main>
      <h1>IA Poste Manager</h1>
      <p data-testid="redis-status">
        Redis : {redis.status}
        {'latencyMs' in redis ? ` (${redis.latencyMs.toFixed(1)} ms)` : ''}
      </p>
      {tenants.map((t, i) => (
        <section key={t.id}>
          <h2>
            {t.name} <small>({t.plan})</small>
          </h2>
          <ul>
            {dossiers[i]!.map((d) => (
              <li key={d.id}>
                {d.reference} — {d.title} <em>{d.status}</em>
              </li>
            ))}
          </ul>
        </section>
      ))}
      <h2>Classement des cabinets</h2>
      {top === null ? (
        <p>indisponible (Redis)</p>
      ) : (
        <ol>
          {top.map((e) => (
            <li key={e.member}>
              {e.member}: {e.score}
            </li>
          ))}
        </ol>
      )}
    </main>
  )
}
