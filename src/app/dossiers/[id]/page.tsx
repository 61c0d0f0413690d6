import type { Metadata } from 'next'
import Link from 'next/link'
import { notFound } from 'next/navigation'
import { AnalysisRefresher } from '@/components/analysis-refresher'
import { AnalyzeButton } from '@/components/analyze-button'
import { DossierDeadlines } from '@/components/deadlines/dossier-deadlines'
import { DossierForm } from '@/components/dossier-form'
import { PageTitle } from '@/components/page-title'
import { AnalysisStatusBadge, DossierStatusBadge } from '@/components/status-badge'
import { requestAnalysisAction } from '@/lib/analyses/actions'
import {
  DOMAIN_LABELS,
  formatDateLongFr,
  formatEuros,
  URGENCY_LABELS,
  type LegalDomain,
  type Urgency,
} from '@/lib/analyses/analyzer'
import { analysisReads, type AnalysisView } from '@/lib/analyses/read-model'
import { updateDossierAction } from '@/lib/dossiers/actions'
import { parseDossierId } from '@/lib/dossiers/schemas'
import { dossiers } from '@/lib/dossiers/service'
import { ANALYSIS_STATUS_LABELS, formatDateTime, type AnalysisStatusValue } from '@/lib/pages/labels'
import { pageContext } from '@/lib/request/page'

type Props = { params: Promise<{ id: string }>; searchParams: Promise<{ cree?: string; enregistre?: string }> }

export const metadata: Metadata = { title: 'Dossier' }
/** Its server actions share the page's function: "Lancer l'analyse" may run the analysis after the response (ANALYSIS_AFTER_RESPONSE). */
export const maxDuration = 60

export default async function DossierPage({ params, searchParams }: Props) {
  const { id: rawId } = await params
  const ctx = await pageContext(`/dossiers/${encodeURIComponent(rawId)}`)
  const id = parseDossierId(rawId)
  // Another cabinet's dossier and one that does not exist: the same real 404.
  if (!id) notFound()
  const [dossierRead, analysisRead] = await ctx.run(() =>
    Promise.all([dossiers().getDossier(ctx.tenantId, id), analysisReads().getLatestAnalysis(ctx.tenantId, id)]),
  )
  const dossier = dossierRead.data
  if (!dossier) notFound()
  const analysis = analysisRead.data
  const status: AnalysisStatusValue = (analysis?.status as AnalysisStatusValue | undefined) ?? 'NONE'
  const pending = status === 'QUEUED' || status === 'RUNNING'
  const { cree, enregistre } = await searchParams

  return (
    <main id="contenu" className="space-y-6">
      <nav aria-label="Fil d’Ariane" className="text-sm">
        <Link href="/dossiers" className="link">
          ← Tous les dossiers
        </Link>
      </nav>
      <PageTitle
        title={dossier.title}
        subtitle={
          <span className="flex flex-wrap items-center gap-x-3 gap-y-1">
            <span className="font-mono text-xs">{dossier.reference}</span>
            <DossierStatusBadge status={dossier.status} />
            <span>Client : {dossier.clientName}</span>
          </span>
        }
      />
      {(cree || enregistre) && (
        <p
          role="status"
          className="rounded-md border border-emerald-300 bg-emerald-50 px-3 py-2 text-sm font-medium text-emerald-900"
        >
          {cree ? 'Dossier créé.' : 'Modifications enregistrées.'}
        </p>
      )}

      <div className="grid gap-6 lg:grid-cols-5">
        <section aria-labelledby="dossier-details" className="card lg:col-span-2">
          <h2 id="dossier-details" className="text-lg font-semibold text-slate-900">
            Le dossier
          </h2>
          <dl className="mt-4 grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm">
            <dt className="text-slate-600">Référence</dt>
            <dd className="font-mono text-xs leading-5">{dossier.reference}</dd>
            <dt className="text-slate-600">Client</dt>
            <dd>{dossier.clientName}</dd>
            <dt className="text-slate-600">Créé le</dt>
            <dd>{formatDateTime(dossier.createdAt)}</dd>
            <dt className="text-slate-600">Mis à jour</dt>
            <dd>{formatDateTime(dossier.updatedAt)}</dd>
          </dl>
          <h3 className="mt-5 text-sm font-semibold text-slate-900">Description</h3>
          <p className="mt-1 text-sm whitespace-pre-wrap text-slate-800">
            {dossier.description || <span className="text-slate-600">Aucune description.</span>}
          </p>
        </section>

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
            <AnalyzeButton action={requestAnalysisAction.bind(null, dossier.id)} disabled={pending} />
          </div>
          <AnalysisRefresher pending={pending} />
          <AnalysisBody analysis={analysis} status={status} />
        </section>
      </div>

      <DossierDeadlines ctx={ctx} dossierId={dossier.id} />
      <section aria-labelledby="edit-heading" className="card">
        <h2 id="edit-heading" className="mb-4 text-lg font-semibold text-slate-900">
          Modifier le dossier
        </h2>
        <DossierForm
          key={dossier.updatedAt.toISOString()}
          action={updateDossierAction.bind(null, dossier.id)}
          mode="edit"
          initial={{
            title: dossier.title,
            clientName: dossier.clientName,
            reference: dossier.reference,
            description: dossier.description ?? '',
            status: dossier.status,
          }}
        />
      </section>
    </main>
  )
}

function AnalysisBody({ analysis, status }: { analysis: AnalysisView | null; status: AnalysisStatusValue }) {
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
          <span className="mt-2 block text-red-800">Dernière tentative échouée : {analysis.error}</span>
        )}
      </p>
    )
  }
  if (status === 'FAILED') {
    return (
      <div className="mt-4 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">
        <p className="font-semibold">
          {ANALYSIS_STATUS_LABELS.FAILED} de l’analyse après {analysis.attempts} tentative
          {analysis.attempts > 1 ? 's' : ''}.
        </p>
        <p className="mt-1">Raison : {analysis.error ?? 'inconnue'}</p>
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
        Terminée le {analysis.completedAt ? formatDateTime(analysis.completedAt) : '—'} · analyseur{' '}
        {analysis.analyzer ?? '—'}
      </p>
    </div>
  )
}
