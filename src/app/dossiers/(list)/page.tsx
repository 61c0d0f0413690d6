import type { Metadata } from 'next'
import Link from 'next/link'
import { PageTitle } from '@/components/page-title'
import { DossierStatusBadge } from '@/components/status-badge'
import { DOSSIER_CURSOR_PATTERN, type DossierListItem } from '@/lib/dossiers/paging'
import { DOSSIER_STATUSES, dossierStatusSchema } from '@/lib/dossiers/schemas'
import { dossiers as dossierService } from '@/lib/dossiers/service'
import { pageContext } from '@/lib/request/page'
import { DOSSIER_STATUS_LABELS, formatDate } from '@/lib/pages/labels'

export const metadata: Metadata = { title: 'Dossiers' }

type Search = {
  status?: string | string[]
  q?: string | string[]
  cursor?: string | string[]
  before?: string | string[]
}
const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? ''

export default async function DossiersPage({ searchParams }: { searchParams: Promise<Search> }) {
  const params = await searchParams
  const statusParam = first(params.status)
  const q = first(params.q).trim().slice(0, 200)
  // A malformed cursor (edited by hand) shows the first page rather than an error.
  const cursor = DOSSIER_CURSOR_PATTERN.test(first(params.cursor)) ? first(params.cursor) : undefined
  const before = !cursor && DOSSIER_CURSOR_PATTERN.test(first(params.before)) ? first(params.before) : undefined
  const filters = { ...(statusParam ? { status: statusParam } : {}), ...(q ? { q } : {}) }
  const here = new URLSearchParams({
    ...filters,
    ...(cursor ? { cursor } : {}),
    ...(before ? { before } : {}),
  }).toString()
  const ctx = await pageContext(`/dossiers${here ? `?${here}` : ''}`)
  const status = dossierStatusSchema.safeParse(statusParam).data
  // One page, the cached read the API uses; a search runs in the database across all the cabinet's dossiers.
  const { data } = await ctx.run(() => dossierService().listDossierPage(ctx.tenantId, { status, q, cursor, before }))
  const dossiers = data.dossiers
  const filtered = Boolean(status || q)
  const paged = Boolean(data.nextCursor || data.prevCursor)
  const pageLink = (key: 'cursor' | 'before', value: string) =>
    `/dossiers?${new URLSearchParams({ ...filters, [key]: value }).toString()}`

  return (
    <main id="contenu">
      <PageTitle
        title="Dossiers"
        subtitle={`${dossiers.length} dossier${dossiers.length > 1 ? 's' : ''}${filtered ? ' correspondant à la recherche' : ' du cabinet'}${paged ? ' sur cette page' : ''}`}
        actions={
          <Link href="/dossiers/new" className="btn-primary">
            Nouveau dossier
          </Link>
        }
      />

      <form
        role="search"
        aria-label="Filtrer les dossiers"
        className="card mb-6 grid gap-4 sm:grid-cols-[1fr_14rem_auto] sm:items-end"
        method="get"
      >
        <div>
          <label htmlFor="q" className="field-label">
            Rechercher
          </label>
          <input
            id="q"
            name="q"
            type="search"
            defaultValue={q}
            placeholder="Titre, client ou référence"
            className="field-input"
          />
        </div>
        <div>
          <label htmlFor="filter-status" className="field-label">
            Statut
          </label>
          <select id="filter-status" name="status" defaultValue={status ?? ''} className="field-input">
            <option value="">Tous les statuts</option>
            {DOSSIER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {DOSSIER_STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="flex gap-2">
          <button type="submit" className="btn-primary flex-1 sm:flex-none">
            Filtrer
          </button>
          {filtered && (
            <Link href="/dossiers" className="btn-secondary flex-1 sm:flex-none">
              Effacer
            </Link>
          )}
        </div>
      </form>

      <DossierResults dossiers={dossiers} filtered={filtered} />
      {paged && (
        <nav aria-label="Pages de dossiers" className="mt-6 flex items-center justify-between gap-4">
          {data.prevCursor ? (
            <Link href={pageLink('before', data.prevCursor)} rel="prev" className="btn-secondary">
              ← Précédent
            </Link>
          ) : (
            <span />
          )}
          {data.nextCursor && (
            <Link href={pageLink('cursor', data.nextCursor)} rel="next" className="btn-secondary">
              Suivant →
            </Link>
          )}
        </nav>
      )}
    </main>
  )
}

/** The page's dossiers: one card per dossier on a phone, a table on wider screens. */
function DossierResults({ dossiers, filtered }: { dossiers: DossierListItem[]; filtered: boolean }) {
  return dossiers.length === 0 ? (
    <div className="card text-center">
      <p className="text-slate-700">
        {filtered ? 'Aucun dossier ne correspond à ces critères.' : 'Aucun dossier pour le moment.'}
      </p>
      {!filtered && (
        <Link href="/dossiers/new" className="btn-primary mt-4">
          Créer le premier dossier
        </Link>
      )}
    </div>
  ) : (
    <>
      {/* Phone: one card per dossier. */}
      <ul className="space-y-3 md:hidden" aria-label="Liste des dossiers">
        {dossiers.map((d) => (
          <li key={d.id} className="card p-4">
            <div className="flex items-start justify-between gap-3">
              <Link href={`/dossiers/${d.id}`} className="link text-base break-words">
                {d.title}
              </Link>
              <DossierStatusBadge status={d.status} />
            </div>
            <p className="mt-1 text-sm text-slate-700">{d.clientName}</p>
            <p className="mt-1 text-xs text-slate-600">
              {d.reference} · mis à jour le {formatDate(d.updatedAt)}
            </p>
          </li>
        ))}
      </ul>
      {/* Wider screens: a table. */}
      <div className="hidden overflow-hidden rounded-lg border border-slate-200 bg-white shadow-sm md:block">
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <caption className="sr-only">Dossiers du cabinet</caption>
          <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-700 uppercase">
            <tr>
              <th scope="col" className="px-4 py-3">
                Référence
              </th>
              <th scope="col" className="px-4 py-3">
                Titre
              </th>
              <th scope="col" className="px-4 py-3">
                Client
              </th>
              <th scope="col" className="px-4 py-3">
                Statut
              </th>
              <th scope="col" className="px-4 py-3 whitespace-nowrap">
                Mis à jour
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {dossiers.map((d) => (
              <tr key={d.id} className="hover:bg-slate-50">
                <td className="px-4 py-3 font-mono text-xs whitespace-nowrap text-slate-700">{d.reference}</td>
                <td className="px-4 py-3">
                  <Link href={`/dossiers/${d.id}`} className="link">
                    {d.title}
                  </Link>
                </td>
                <td className="px-4 py-3 text-slate-800">{d.clientName}</td>
                <td className="px-4 py-3">
                  <DossierStatusBadge status={d.status} />
                </td>
                <td className="px-4 py-3 whitespace-nowrap text-slate-700">{formatDate(d.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  )
}
