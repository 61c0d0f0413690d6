import type { Metadata } from 'next'
import Link from 'next/link'
import { DeadlineBadges } from '@/components/deadlines/deadline-badges'
import { PageTitle } from '@/components/page-title'
import { setDeadlineDoneAction } from '@/actions/deadlines'
import { formatDateFr, formatRelativeFr } from '@/lib/core/paris-time'
import { deadlines, type DeadlineView } from '@/lib/deadlines/service'
import { pageContext } from '@/lib/request/page'

export const metadata: Metadata = { title: 'Échéances' }

const DAY = 86_400_000
/** Done deadlines shown (collapsed): those due from this many days back on. */
const DONE_DAYS = 30

/**
 * The cabinet's agenda: what is overdue, what falls in the next 7 days, what comes later (proposals from
 * the analysis included, marked « proposée »), and the recently done ones in a collapsed section. Each row
 * links to its dossier, where deadlines are added, edited, confirmed or deleted.
 */
export default async function AgendaPage() {
  const ctx = await pageContext('/echeances')
  const who = { cabinetId: ctx.tenantId, userId: ctx.userId }
  const now = Date.now()
  const [open, recent] = await ctx.run(() =>
    Promise.all([
      deadlines().list(who, { limit: '500' }),
      deadlines().list(who, { includeDone: 'true', from: new Date(now - DONE_DAYS * DAY).toISOString(), limit: '500' }),
    ]),
  )
  const weekEnd = now + 7 * DAY
  const overdue = open.filter((d) => Date.parse(d.dueAt) < now)
  const thisWeek = open.filter((d) => Date.parse(d.dueAt) >= now && Date.parse(d.dueAt) < weekEnd)
  const later = open.filter((d) => Date.parse(d.dueAt) >= weekEnd)
  const done = recent.filter((d) => d.done).reverse()
  const back = '/echeances'

  return (
    <main id="contenu">
      <PageTitle
        title="Échéances"
        subtitle="Les audiences, délais et rendez-vous de tous les dossiers du cabinet, les plus proches d’abord."
      />
      {open.length === 0 && (
        <p className="card text-sm text-slate-700">
          Aucune échéance à venir. Ajoutez-en depuis la page d’un{' '}
          <Link href="/dossiers" className="link">
            dossier
          </Link>
          .
        </p>
      )}
      <div className="space-y-6">
        <Group
          id="en-retard"
          title="En retard"
          hint="Échéances passées qui ne sont pas marquées comme faites."
          items={overdue}
          now={now}
          back={back}
          tone="red"
        />
        <Group
          id="cette-semaine"
          title="Cette semaine"
          hint={`D’ici au ${formatDateFr(new Date(weekEnd))}.`}
          items={thisWeek}
          now={now}
          back={back}
        />
        <Group id="plus-tard" title="Plus tard" items={later} now={now} back={back} />
        {done.length > 0 && (
          <details className="card">
            <summary className="cursor-pointer text-lg font-semibold text-slate-900">
              Échéances faites ({done.length})
            </summary>
            <ul className="mt-3 divide-y divide-slate-200">
              {done.map((d) => (
                <AgendaRow key={d.id} deadline={d} now={now} back={back} />
              ))}
            </ul>
          </details>
        )}
      </div>
    </main>
  )
}

function Group({
  id,
  title,
  hint,
  items,
  now,
  back,
  tone,
}: {
  id: string
  title: string
  hint?: string
  items: DeadlineView[]
  now: number
  back: string
  tone?: 'red'
}) {
  if (items.length === 0) return null
  return (
    <section aria-labelledby={`${id}-title`} className={`card ${tone === 'red' ? 'border-red-300' : ''}`}>
      <h2 id={`${id}-title`} className={`text-lg font-semibold ${tone === 'red' ? 'text-red-800' : 'text-slate-900'}`}>
        {title} <span className="text-base font-normal text-slate-700">({items.length})</span>
      </h2>
      {hint && <p className="mt-1 text-sm text-slate-700">{hint}</p>}
      <ul className="mt-3 divide-y divide-slate-200">
        {items.map((d) => (
          <AgendaRow key={d.id} deadline={d} now={now} back={back} />
        ))}
      </ul>
    </section>
  )
}

function AgendaRow({ deadline: d, now, back }: { deadline: DeadlineView; now: number; back: string }) {
  return (
    <li className="flex flex-col gap-2 py-3 sm:flex-row sm:items-center sm:justify-between" data-testid="agenda-row">
      <div className="min-w-0">
        <p className="font-medium break-words">
          <Link href={`/dossiers/${d.dossierId}#echeances`} className="link">
            {d.title}
          </Link>
        </p>
        <p className="mt-0.5 text-sm text-slate-700">
          <time dateTime={d.dueAt}>{d.dueAtLabel}</time>
          {!d.done && <span className="text-slate-600"> · {formatRelativeFr(new Date(d.dueAt), new Date(now))}</span>}
        </p>
        <p className="mt-0.5 text-sm break-words text-slate-700">
          Dossier <span className="font-mono text-xs">{d.dossier.reference}</span> · {d.dossier.title}
        </p>
        <div className="mt-1">
          <DeadlineBadges deadline={d} now={now} />
        </div>
      </div>
      {d.status === 'confirmed' && (
        <form action={setDeadlineDoneAction.bind(null, back, d.id, !d.done)} className="shrink-0">
          <button type="submit" className="btn-secondary w-full px-3 py-1.5 sm:w-auto">
            {d.done ? 'Rouvrir' : 'Marquer comme faite'}
            <span className="sr-only"> « {d.title} »</span>
          </button>
        </form>
      )}
      {d.status === 'proposed' && (
        <Link href={`/dossiers/${d.dossierId}#echeances`} className="btn-secondary shrink-0 px-3 py-1.5">
          Vérifier la proposition<span className="sr-only"> « {d.title} »</span>
        </Link>
      )}
    </li>
  )
}
