import type { Metadata } from 'next'
import Link from 'next/link'
import { PageTitle } from '@/components/page-title'
import { DossierStatusBadge } from '@/components/status-badge'
import { dossiers } from '@/lib/dossiers/service'
import { formatDateTime, formatNumber } from '@/lib/pages/labels'
import { pageContext } from '@/lib/request/page'
import { cabinetLeaderboard, getActiveDossiers, POINTS } from '@/lib/scores/leaderboard'

export const metadata: Metadata = { title: 'Classement' }

/** Reads that need Redis: on failure the page says so instead of failing whole. */
async function attempt<T>(what: string, read: () => Promise<T>): Promise<{ ok: true; data: T } | { ok: false }> {
  try {
    return { ok: true, data: await read() }
  } catch (err) {
    console.warn(`[leaderboard] ${what}: ${(err as Error).message}`)
    return { ok: false }
  }
}

export default async function LeaderboardPage() {
  const { tenantId, run } = await pageContext('/leaderboard')
  const [top, active] = await run(() =>
    Promise.all([
      attempt('top cabinets', () => cabinetLeaderboard(tenantId)),
      attempt('active dossiers', async () => {
        const active = await getActiveDossiers(tenantId, 10)
        // Fetched by id among the cabinet's own dossiers (cached): an id that is not the cabinet's is never shown.
        return {
          active,
          list: await dossiers().getDossiersByIds(
            tenantId,
            active.map((a) => a.member),
          ),
        }
      }),
    ]),
  )
  const byId = new Map(active.ok ? active.data.list.data.map((d) => [d.id, d]) : [])
  const activeDossiers = active.ok
    ? active.data.active.flatMap(({ member, score }) =>
        byId.has(member) ? [{ dossier: byId.get(member)!, at: new Date(score) }] : [],
      )
    : []

  return (
    <main id="contenu">
      <PageTitle
        title="Classement"
        subtitle={`Points gagnés une seule fois par dossier : création +${POINTS.dossierCreated}, première analyse terminée +${POINTS.analysisCompleted}, première clôture +${POINTS.dossierClosed}.`}
      />
      <div className="grid gap-6 lg:grid-cols-2">
        <section aria-labelledby="cabinets-title" className="card">
          <h2 id="cabinets-title" className="text-lg font-semibold text-slate-900">
            Cabinets
          </h2>
          {!top.ok ? (
            <p role="alert" className="mt-3 text-sm text-red-800">
              Le classement est momentanément indisponible.
            </p>
          ) : (
            <div className="mt-3 overflow-x-auto">
              <table className="min-w-full text-sm">
                <caption className="sr-only">Cabinets classés par score</caption>
                <thead className="border-b border-slate-200 text-left text-xs font-semibold tracking-wide text-slate-700 uppercase">
                  <tr>
                    <th scope="col" className="py-2 pr-3">
                      Rang
                    </th>
                    <th scope="col" className="py-2 pr-3">
                      Cabinet
                    </th>
                    <th scope="col" className="py-2 text-right">
                      Score
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100">
                  {top.data.map((c) => (
                    <tr
                      key={c.id}
                      className={c.you ? 'bg-blue-50 font-semibold' : undefined}
                      aria-current={c.you ? 'true' : undefined}
                    >
                      <td className="py-2 pr-3 pl-2 tabular-nums">{c.rank}</td>
                      <th scope="row" className="py-2 pr-3 text-left font-medium">
                        {c.name}
                        {c.you && (
                          <span className="ml-2 rounded-full bg-blue-700 px-2 py-0.5 text-xs font-semibold text-white">
                            Votre cabinet
                          </span>
                        )}
                      </th>
                      <td className="py-2 pr-2 text-right tabular-nums">{formatNumber(c.score)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {top.data.some((c) => c.you && c.score === 0) && (
                <p className="mt-3 text-sm text-slate-700">
                  Votre cabinet n’a pas encore de points : créez un dossier, lancez une analyse ou clôturez un dossier.
                </p>
              )}
              <p className="mt-3 text-xs text-slate-600">
                Rouvrir puis clôturer un dossier, ou relancer une analyse, n’ajoute pas de points. Les cabinets à
                égalité partagent le même rang.
              </p>
            </div>
          )}
        </section>

        <section aria-labelledby="active-title" className="card">
          <h2 id="active-title" className="text-lg font-semibold text-slate-900">
            Dossiers les plus actifs de votre cabinet
          </h2>
          {!active.ok ? (
            <p role="alert" className="mt-3 text-sm text-red-800">
              L’activité des dossiers est momentanément indisponible.
            </p>
          ) : activeDossiers.length === 0 ? (
            <p className="mt-3 text-sm text-slate-700">Aucune activité récente.</p>
          ) : (
            <ol className="mt-3 divide-y divide-slate-100">
              {activeDossiers.map(({ dossier, at }) => (
                <li
                  key={dossier.id}
                  className="flex flex-col gap-1 py-2 sm:flex-row sm:items-center sm:justify-between"
                >
                  <div className="min-w-0">
                    <Link href={`/dossiers/${dossier.id}`} className="link break-words">
                      {dossier.title}
                    </Link>
                    <p className="text-xs text-slate-600">
                      {dossier.reference} · dernière activité le {formatDateTime(at)}
                    </p>
                  </div>
                  <DossierStatusBadge status={dossier.status} />
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </main>
  )
}
