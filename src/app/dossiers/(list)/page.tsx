import type { Metadata } from 'next'
import Link from 'next/link'
import { Options } from '@/components/form-field'
import { PageTitle } from '@/components/page-title'
import { DossierStatusBadge } from '@/components/status-badge'
import { URGENCY_LABELS, type Urgency } from '@/lib/analyses/analyzer'
import { listExtras, type DossierListExtras } from '@/lib/dossiers/list-extras'
import { DOSSIER_CURSOR_PATTERN, DOSSIER_SORTS, type DossierListItem, type DossierSort } from '@/lib/dossiers/paging'
import { DOSSIER_STATUSES, dossierStatusSchema } from '@/lib/dossiers/schemas'
import { dossiers as dossierService } from '@/lib/dossiers/service'
import { pageContext } from '@/lib/request/page'
import { DOSSIER_STATUS_LABELS, formatDate, formatDateTime, formatRelative } from '@/lib/pages/labels'

export const metadata: Metadata = { title: 'Dossiers' }

type Search = {
  status?: string | string[]
  tri?: string | string[]
  supprime?: string | string[]
  introuvable?: string | string[]
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
  const sort = (DOSSIER_SORTS as readonly string[]).includes(first(params.tri))
    ? (first(params.tri) as DossierSort)
    : 'creation'
  const filters = {
    ...(statusParam ? { status: statusParam } : {}),
    ...(q ? { q } : {}),
    ...(sort !== 'creation' ? { tri: sort } : {}),
  }
  const here = new URLSearchParams({
    ...filters,
    ...(cursor ? { cursor } : {}),
    ...(before ? { before } : {}),
  }).toString()
  const ctx = await pageContext(`/dossiers${here ? `?${here}` : ''}`)
  const status = dossierStatusSchema.safeParse(statusParam).data
  // One page, the cached read the API uses; a search runs in the database across all the cabinet's dossiers.
  const { data } = await ctx.run(() =>
    dossierService().listDossierPage(ctx.tenantId, { status, q, sort, cursor, before }),
  )
  const dossiers = data.dossiers
  // Urgency and next deadline of this page's dossiers: the database, no Redis command.
  const extras = await listExtras(
    ctx.tenantId,
    dossiers.map((d) => d.id),
  )
  const deleted = first(params.supprime)
  const gone = first(params.introuvable)
  const filtered = Boolean(status || q)
  const sorted = sort !== 'creation'
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

      {(deleted || gone) && (
        <p
          role="status"
          className="mb-6 rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm font-medium text-emerald-900"
        >
          {deleted ? (
            <>
              Dossier <span className="font-mono text-xs">{deleted.slice(0, 50)}</span> supprimé.
            </>
          ) : (
            'Ce dossier n’existe pas ou a déjà été supprimé.'
          )}
        </p>
      )}
      <form
        role="search"
        aria-label="Filtrer les dossiers"
        className="card mb-6 grid gap-4 sm:grid-cols-2 lg:grid-cols-[1fr_12rem_14rem_auto] lg:items-end"
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
            <Options values={DOSSIER_STATUSES} labels={DOSSIER_STATUS_LABELS} />
          </select>
        </div>
        <div>
          <label htmlFor="sort" className="field-label">
            Trier par
          </label>
          <select id="sort" name="tri" defaultValue={sort} className="field-input">
            <Options values={DOSSIER_SORTS} labels={SORT_LABELS} />
          </select>
        </div>
        <div className="flex gap-2">
          <button type="submit" className="btn-primary flex-1 sm:flex-none">
            Afficher
          </button>
          {(filtered || sorted) && (
            <Link href="/dossiers" className="btn-secondary flex-1 sm:flex-none">
              Effacer
            </Link>
          )}
        </div>
      </form>

      <DossierResults dossiers={dossiers} extras={extras} filtered={filtered} sort={sort} now={new Date()} />
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

const SORT_LABELS: Record<DossierSort, string> = {
  creation: 'Date d’ouverture',
  maj: 'Dernière modification',
  echeance: 'Prochaine échéance',
  reference: 'Référence',
  client: 'Client (A → Z)',
}

/** The page's dossiers: one card per dossier on a phone, a table on wider screens. */
function DossierResults({
  dossiers,
  extras,
  filtered,
  sort,
  now,
}: {
  dossiers: DossierListItem[]
  extras: Map<string, DossierListExtras>
  filtered: boolean
  sort: DossierSort
  now: Date
}) {
  if (dossiers.length === 0)
    return (
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
    )
  const ariaSort = (column: DossierSort) =>
    sort === column ? (column === 'maj' ? 'descending' : 'ascending') : undefined
  const th = 'px-4 py-3'
  return (
    <>
      {/* Phone: one card per dossier. */}
      <ul className="space-y-3 md:hidden" aria-label="Liste des dossiers">
        {dossiers.map((d) => {
          const extra = extras.get(d.id)
          return (
            <li key={d.id} className="card p-4">
              <div className="flex items-start justify-between gap-3">
                <Link href={`/dossiers/${d.id}`} className="link text-base break-words">
                  {d.title}
                </Link>
                <DossierStatusBadge status={d.status} />
              </div>
              <p className="mt-1 text-sm text-slate-700">{d.clientName}</p>
              <div className="mt-2 flex flex-wrap items-center gap-x-3 gap-y-1 text-sm">
                {extra?.urgency && <UrgencyBadge urgency={extra.urgency} />}
                <NextDeadline deadline={extra?.nextDeadline ?? null} now={now} withLabel />
              </div>
              <p className="mt-2 text-xs text-slate-600">
                <span className="font-mono">{d.reference}</span> · modifié <RelativeDate date={d.updatedAt} now={now} />
              </p>
            </li>
          )
        })}
      </ul>
      {/* Wider screens: a table. */}
      <div className="hidden overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm md:block">
        <table className="min-w-full divide-y divide-slate-200 text-sm">
          <caption className="sr-only">Dossiers du cabinet, triés par {SORT_LABELS[sort].toLowerCase()}</caption>
          <thead className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-700 uppercase">
            <tr>
              <th scope="col" className={th} aria-sort={ariaSort('reference')}>
                Référence
              </th>
              <th scope="col" className={th}>
                Dossier
              </th>
              <th scope="col" className={th} aria-sort={ariaSort('client')}>
                Client
              </th>
              <th scope="col" className={th}>
                Statut
              </th>
              <th scope="col" className={th}>
                Urgence
              </th>
              <th scope="col" className={`${th} whitespace-nowrap`} aria-sort={ariaSort('echeance')}>
                Prochaine échéance
              </th>
              <th scope="col" className={`${th} whitespace-nowrap`} aria-sort={ariaSort('maj')}>
                Modifié
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {dossiers.map((d) => {
              const extra = extras.get(d.id)
              return (
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
                  <td className="px-4 py-3">
                    {extra?.urgency ? (
                      <UrgencyBadge urgency={extra.urgency} />
                    ) : (
                      <span className="text-slate-600" title="Pas encore analysé">
                        —<span className="sr-only">Pas encore analysé</span>
                      </span>
                    )}
                  </td>
                  <td className="px-4 py-3">
                    <NextDeadline deadline={extra?.nextDeadline ?? null} now={now} />
                  </td>
                  <td className="px-4 py-3 whitespace-nowrap text-slate-700">
                    <RelativeDate date={d.updatedAt} now={now} />
                  </td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </div>
    </>
  )
}

/** "il y a 3 jours", with the full date on hover and for machines. */
function RelativeDate({ date, now }: { date: Date; now: Date }) {
  return (
    <time dateTime={date.toISOString()} title={formatDateTime(date)}>
      {formatRelative(date, now)}
    </time>
  )
}

/** The next deadline: its date, how far it is, red when overdue, amber within a week. */
function NextDeadline({
  deadline,
  now,
  withLabel = false,
}: {
  deadline: DossierListExtras['nextDeadline']
  now: Date
  withLabel?: boolean
}) {
  if (!deadline)
    return withLabel ? null : (
      <span className="text-slate-600">
        —<span className="sr-only">Aucune échéance</span>
      </span>
    )
  const ms = deadline.dueAt.getTime() - now.getTime()
  const tone =
    ms < 0 ? 'text-red-800 font-semibold' : ms < 7 * 86_400_000 ? 'text-amber-900 font-semibold' : 'text-slate-800'
  return (
    <span className={`whitespace-nowrap ${tone}`} title={deadline.title}>
      {withLabel && <span className="font-normal text-slate-700">Échéance : </span>}
      <time dateTime={deadline.dueAt.toISOString()}>{formatDate(deadline.dueAt)}</time>{' '}
      <span className="text-xs">
        ({ms < 0 ? `en retard, ${formatRelative(deadline.dueAt, now)}` : formatRelative(deadline.dueAt, now)})
      </span>
    </span>
  )
}

const URGENCY_STYLES: Record<string, string> = {
  CRITIQUE: 'bg-red-50 text-red-800 ring-red-200',
  HAUTE: 'bg-amber-50 text-amber-900 ring-amber-300',
  NORMALE: 'bg-blue-50 text-blue-800 ring-blue-200',
  BASSE: 'bg-slate-100 text-slate-700 ring-slate-300',
}

function UrgencyBadge({ urgency }: { urgency: string }) {
  return (
    <span
      className={`inline-flex items-center rounded-full px-2.5 py-0.5 text-xs font-semibold whitespace-nowrap ring-1 ring-inset ${URGENCY_STYLES[urgency] ?? URGENCY_STYLES.BASSE}`}
    >
      <span className="sr-only">Urgence </span>
      {URGENCY_LABELS[urgency as Urgency] ?? urgency}
    </span>
  )
}
