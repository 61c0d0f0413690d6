import type { DeadlineView } from '@/lib/deadlines/service'

const base =
  'inline-flex items-center whitespace-nowrap rounded-full px-2.5 py-0.5 text-xs font-semibold ring-1 ring-inset'

/** The kind, « proposée », « En retard » or « Faite »: what a lawyer scans a list for. */
export function DeadlineBadges({ deadline, now }: { deadline: DeadlineView; now: number }) {
  const overdue = !deadline.done && Date.parse(deadline.dueAt) < now
  return (
    <span className="flex flex-wrap items-center gap-1.5">
      <span className={`${base} bg-slate-100 text-slate-800 ring-slate-300`}>{deadline.kindLabel}</span>
      {deadline.status === 'proposed' && (
        <span className={`${base} bg-amber-50 text-amber-900 ring-amber-300`} title="Proposée par l’analyse du dossier">
          proposée
        </span>
      )}
      {overdue && <span className={`${base} bg-red-50 text-red-800 ring-red-200`}>En retard</span>}
      {deadline.done && <span className={`${base} bg-emerald-50 text-emerald-800 ring-emerald-200`}>Faite</span>}
    </span>
  )
}
