import type { Metadata } from 'next'
import Link from 'next/link'
import { notFound } from 'next/navigation'
import { AnalysisPanel } from '@/components/analysis-panel'
import { DossierDeadlines } from '@/components/deadlines/dossier-deadlines'
import { DossierDeleteLink } from '@/components/dossier-delete'
import { DossierForm } from '@/components/dossier-form'
import { PageTitle } from '@/components/page-title'
import { DossierStatusBadge } from '@/components/status-badge'
import { analysisReads } from '@/lib/analyses/read-model'
import { updateDossierAction } from '@/actions/dossiers'
import { parseDossierId } from '@/lib/dossiers/schemas'
import { dossiers } from '@/lib/dossiers/service'
import { formatDateTime } from '@/lib/pages/labels'
import { pageContext } from '@/lib/request/page'

type Props = {
  params: Promise<{ id: string }>
  searchParams: Promise<{ cree?: string; enregistre?: string; suppression?: string }>
}

export const metadata: Metadata = { title: 'Dossier' }
/** Its server actions share the page's function: "Lancer l’analyse" may run the analysis after the response (ANALYSIS_AFTER_RESPONSE). */
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
  const { cree, enregistre, suppression } = await searchParams

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
      {suppression === 'refusee' && (
        <p
          role="alert"
          className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm font-medium text-red-800"
        >
          Seuls les avocats et les administrateurs du cabinet peuvent supprimer un dossier.
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

        <AnalysisPanel dossier={dossier} analysis={analysis} technicalDetails={ctx.role === 'ADMIN'} />
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
      <DossierDeleteLink dossierId={dossier.id} role={ctx.role} />
    </main>
  )
}
