import type { Dossier } from '@/generated/prisma/client'
import { requestAnalysisAction } from '@/actions/analyses'
import {
  DOMAIN_LABELS,
  formatDateLongFr,
  formatEuros,
  URGENCY_LABELS,
  type LegalDomain,
  type Urgency,
} from '@/lib/analyses/analyzer'
import type { AnalysisView } from '@/lib/analyses/read-model'
import { isAnalysable } from '@/lib/analyses/request'
import { DOSSIER_STATUS_LABELS, formatDateTime, type AnalysisStatusValue } from '@/lib/pages/labels'
import { AnalysisRefresher } from './analysis-refresher'
import { AnalyzeButton } from './analyze-button'
import { AnalysisStatusBadge } from './status-badge'

/**
 * Whether a finished analysis was made on an older version of the dossier: its title, client or
 * description changed after the analysis read them (its last attempt's start).
 */
export function isStale(dossier: Pick<Dossier, 'contentUpdatedAt'>, analysis: AnalysisView | null): boolean {
  if (!analysis || analysis.status !== 'DONE' || !dossier.contentUpdatedAt) return false
  return dossier.contentUpdatedAt.getTime() > (analysis.startedAt ?? analysis.createdAt).getTime()
}

/** The dossier's analysis: its status, the button that (re)launches it, and its result. */
export function AnalysisPanel({
  dossier,
  analysis,
  technicalDetails,
}: {
  dossier: Dossier
  analysis: AnalysisView | null
  /** The cabinet's admins also see a failure's technical reason. */
  technicalDetails: boolean
}) {
  const status: AnalysisStatusValue = (analysis?.status as AnalysisStatusValue | undefined) ?? 'NONE'
  const pending = status === 'QUEUED' || status === 'RUNNING'
  const stale = isStale(dossier, analysis)
  const disabledReason = !isAnalysable(dossier.status)
    ? `Dossier ${DOSSIER_STATUS_LABELS[dossier.status].toLowerCase()} : rouvrez-le (statut « Ouvert » ou « En cours ») pour l’analyser.`
    : pending
      ? 'Une analyse est déjà en cours.'
      : undefined
  return (
    <section aria-labelledby="analysis-title" className="card lg:col-span-3">
      <div className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <div>
          <h2 id="analysis-title" className="text-lg font-semibold text-slate-900">
            Analyse
          </h2>
          <p
            className="mt-1 flex items-center gap-2 text-sm text-slate-700"
            role="status"
            aria-live="polite"
            data-testid="analysis-status"
          >
            Statut : <AnalysisStatusBadge status={status} />
          </p>
        </div>
        <AnalyzeButton
          action={requestAnalysisAction.bind(null, dossier.id)}
          label={status === 'NONE' ? 'Lancer l’analyse' : 'Relancer l’analyse'}
          disabledReason={disabledReason}
        />
      </div>
      <AnalysisRefresher pending={pending} />
      {stale && analysis && (
        <div
          className="mt-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950"
          data-testid="analysis-stale"
        >
          <p className="font-semibold">Analyse antérieure aux dernières modifications</p>
          <p className="mt-1">
            Le titre, le client ou la description ont été modifiés le {formatDateTime(dossier.contentUpdatedAt!)}, après
            cette analyse : la synthèse peut citer l’ancienne version.
            {isAnalysable(dossier.status) && ' « Relancer l’analyse » la met à jour.'}
          </p>
        </div>
      )}
      <AnalysisBody analysis={analysis} status={status} technicalDetails={technicalDetails} />
    </section>
  )
}

function AnalysisBody({
  analysis,
  status,
  technicalDetails,
}: {
  analysis: AnalysisView | null
  status: AnalysisStatusValue
  technicalDetails: boolean
}) {
  if (!analysis)
    return (
      <p className="mt-4 text-sm text-slate-700">
        Ce dossier n’a pas encore été analysé. L’analyse détermine le domaine, l’urgence, les dates et montants clés.
      </p>
    )
  if (status === 'QUEUED' || status === 'RUNNING') {
    return (
      <p className="mt-4 text-sm text-slate-700">
        {status === 'QUEUED' ? 'L’analyse attend son tour' : 'L’analyse est en cours'} (demandée le{' '}
        {formatDateTime(analysis.createdAt)}). Cette page se met à jour toute seule.
        {analysis.error && (
          <span className="mt-2 block text-amber-900">
            Une tentative n’a pas abouti : l’analyse est reprise automatiquement.
          </span>
        )}
      </p>
    )
  }
  if (status === 'FAILED') {
    return (
      <div className="mt-4 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">
        <p className="font-semibold">
          L’analyse n’a pas abouti après {analysis.attempts} tentative{analysis.attempts > 1 ? 's' : ''}.
        </p>
        <p className="mt-1">
          Relancez-la dans quelques minutes ; si l’échec se répète, prévenez l’administrateur de votre cabinet.
        </p>
        {technicalDetails && analysis.error && (
          <details className="mt-2">
            <summary className="cursor-pointer font-medium">Détail technique (pour le support)</summary>
            <p className="mt-1 font-mono text-xs break-words" lang="en">
              {analysis.error}
            </p>
          </details>
        )}
      </div>
    )
  }
  return (
    <div className="mt-4 space-y-4 text-sm">
      <dl className="grid gap-3 sm:grid-cols-2">
        <div className="rounded-md bg-slate-50 p-3">
          <dt className="text-xs font-semibold tracking-wide text-slate-600 uppercase">Domaine</dt>
          <dd className="mt-1 font-medium text-slate-900">
            {DOMAIN_LABELS[analysis.domain as LegalDomain] ?? analysis.domain}
          </dd>
        </div>
        <div className="rounded-md bg-slate-50 p-3">
          <dt className="text-xs font-semibold tracking-wide text-slate-600 uppercase">Urgence</dt>
          <dd className="mt-1 font-medium text-slate-900">
            {URGENCY_LABELS[analysis.urgency as Urgency] ?? analysis.urgency}
          </dd>
          {analysis.urgencyReason && <dd className="mt-1 text-slate-700">{analysis.urgencyReason}</dd>}
        </div>
      </dl>
      <div>
        <h3 className="font-semibold text-slate-900">Synthèse</h3>
        <p className="mt-1 text-slate-800">{analysis.summary}</p>
      </div>
      <div className="grid gap-4 sm:grid-cols-2">
        <div>
          <h3 className="font-semibold text-slate-900">Dates clés</h3>
          {analysis.keyDates.length === 0 ? (
            <p className="mt-1 text-slate-700">Aucune date relevée.</p>
          ) : (
            <ul className="mt-1 space-y-1">
              {analysis.keyDates.map((d) => (
                <li key={d.date}>
                  <span className="font-medium">{formatDateLongFr(d.date)}</span>{' '}
                  <span className="text-slate-700">— {d.context}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div>
          <h3 className="font-semibold text-slate-900">Montants</h3>
          {analysis.amounts.length === 0 ? (
            <p className="mt-1 text-slate-700">Aucun montant relevé.</p>
          ) : (
            <ul className="mt-1 space-y-1">
              {analysis.amounts.map((a, i) => (
                <li key={`${a.amount}-${i}`}>
                  <span className="font-medium">{formatEuros(a.amount)}</span>{' '}
                  <span className="text-slate-700">— {a.context}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <p className="text-xs text-slate-600">
        Analyse automatique terminée le {analysis.completedAt ? formatDateTime(analysis.completedAt) : '—'}, à vérifier
        avant tout usage.
      </p>
    </div>
  )
}
