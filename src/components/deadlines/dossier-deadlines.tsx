import {
  confirmDeadlineAction,
  createDeadlineAction,
  deleteDeadlineAction,
  dismissDeadlineAction,
  setDeadlineDoneAction,
  updateDeadlineAction,
} from '@/actions/deadlines'
import { formatRelativeFr, toParisInputValue } from '@/lib/core/paris-time'
import { deadlines, type DeadlineView } from '@/lib/deadlines/service'
import type { RequestContext } from '@/lib/request/context'
import { DeadlineBadges } from './deadline-badges'
import { DeadlineForm } from './deadline-form'

/**
 * The dossier page's « Échéances »: proposals from the analysis first (Confirmer / Modifier / Ignorer), then
 * the dossier's deadlines soonest first (done ones included), each with « Marquer comme faite », « Modifier »
 * and « Supprimer » (after a confirmation step), and the form to add one. Plain forms and <details>: all of
 * it works without JavaScript.
 */
export async function DossierDeadlines({ ctx, dossierId }: { ctx: RequestContext; dossierId: string }) {
  const all = await ctx.run(() =>
    deadlines().listForDossier({ cabinetId: ctx.tenantId, userId: ctx.userId }, dossierId),
  )
  const proposals = all.filter((d) => d.status === 'proposed')
  const confirmed = all.filter((d) => d.status === 'confirmed')
  const now = Date.now()
  const back = `/dossiers/${dossierId}`
  return (
    <section id="echeances" aria-labelledby="deadlines-title" className="card scroll-mt-4" data-testid="deadlines">
      <h2 id="deadlines-title" className="text-lg font-semibold text-slate-900">
        Échéances
      </h2>
      <p className="mt-1 text-sm text-slate-700">
        Audiences, délais de procédure, prescriptions, rendez-vous : les avocats et administrateurs du cabinet en
        reçoivent un rappel par e-mail avant chaque échéance confirmée.
      </p>

      {proposals.length > 0 && (
        <div className="mt-5 rounded-md border border-amber-300 bg-amber-50 p-3 sm:p-4">
          <h3 className="text-sm font-semibold text-amber-950">
            {proposals.length === 1
              ? 'Une échéance proposée par l’analyse'
              : `${proposals.length} échéances proposées par l’analyse`}
          </h3>
          <p className="mt-1 text-sm text-amber-950">
            Vérifiez-les : confirmées, elles donnent lieu à des rappels ; ignorées, elles ne seront plus proposées.
          </p>
          <ul className="mt-3 divide-y divide-amber-200" aria-label="Échéances proposées">
            {proposals.map((d) => (
              <DeadlineRow key={d.id} deadline={d} now={now} back={back} />
            ))}
          </ul>
        </div>
      )}

      {confirmed.length === 0 ? (
        <p className="mt-5 text-sm text-slate-700">Aucune échéance confirmée pour ce dossier.</p>
      ) : (
        <ul className="mt-4 divide-y divide-slate-200" aria-label="Échéances du dossier">
          {confirmed.map((d) => (
            <DeadlineRow key={d.id} deadline={d} now={now} back={back} />
          ))}
        </ul>
      )}

      <h3 className="mt-6 mb-3 border-t border-slate-200 pt-5 text-base font-semibold text-slate-900">
        Ajouter une échéance
      </h3>
      <DeadlineForm
        action={createDeadlineAction.bind(null, dossierId)}
        initial={{ title: '', dueAt: '', kind: '' }}
        idPrefix="new-deadline"
        submitLabel="Ajouter l’échéance"
      />
    </section>
  )
}

function DeadlineRow({ deadline: d, now, back }: { deadline: DeadlineView; now: number; back: string }) {
  const proposed = d.status === 'proposed'
  const named = <span className="sr-only"> « {d.title} »</span>
  return (
    <li className="py-3" data-testid="deadline">
      <div className="flex flex-col gap-2 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <p className={`font-medium break-words ${d.done ? 'text-slate-600 line-through' : 'text-slate-900'}`}>
            {d.title}
          </p>
          <p className="mt-0.5 text-sm text-slate-700">
            <time dateTime={d.dueAt}>{d.dueAtLabel}</time>
            {!d.done && <span className="text-slate-600"> · {formatRelativeFr(new Date(d.dueAt), new Date(now))}</span>}
          </p>
          <div className="mt-1">
            <DeadlineBadges deadline={d} now={now} />
          </div>
        </div>
        <div className="flex shrink-0 flex-wrap items-start gap-2">
          {proposed ? (
            <>
              <form action={confirmDeadlineAction.bind(null, back, d.id)}>
                <button type="submit" className="btn-primary px-3 py-1.5">
                  Confirmer{named}
                </button>
              </form>
              <form action={dismissDeadlineAction.bind(null, back, d.id)}>
                <button type="submit" className="btn-secondary px-3 py-1.5">
                  Ignorer{named}
                </button>
              </form>
            </>
          ) : (
            <form action={setDeadlineDoneAction.bind(null, back, d.id, !d.done)}>
              <button type="submit" className="btn-secondary px-3 py-1.5">
                {d.done ? 'Rouvrir' : 'Marquer comme faite'}
                {named}
              </button>
            </form>
          )}
        </div>
      </div>
      <div className="mt-2 flex flex-wrap gap-x-4 gap-y-2">
        <details className="group w-full">
          <summary className="link inline-block cursor-pointer text-sm">Modifier{named}</summary>
          <div className="mt-3 rounded-md border border-slate-200 bg-slate-50 p-3">
            <DeadlineForm
              action={updateDeadlineAction.bind(null, { back, deadlineId: d.id, confirm: proposed })}
              initial={{ title: d.title, dueAt: toParisInputValue(new Date(d.dueAt)), kind: d.kind }}
              idPrefix={`deadline-${d.id}`}
              submitLabel={proposed ? 'Enregistrer et confirmer' : 'Enregistrer'}
            />
          </div>
        </details>
        {!proposed && (
          <details className="w-full">
            <summary className="inline-block cursor-pointer text-sm font-medium text-red-800 underline-offset-2 hover:underline">
              Supprimer{named}
            </summary>
            <form
              action={deleteDeadlineAction.bind(null, back, d.id)}
              className="mt-2 flex flex-col gap-2 rounded-md border border-red-300 bg-red-50 p-3 sm:flex-row sm:items-center sm:justify-between"
            >
              <p className="text-sm text-red-900">
                Supprimer définitivement cette échéance ? Ses rappels prévus seront annulés.
              </p>
              <button type="submit" className="btn bg-red-700 text-white hover:bg-red-800">
                Supprimer définitivement{named}
              </button>
            </form>
          </details>
        )}
      </div>
    </li>
  )
}
