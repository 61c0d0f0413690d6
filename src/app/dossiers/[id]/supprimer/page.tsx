import type { Metadata } from 'next'
import Link from 'next/link'
import { notFound } from 'next/navigation'
import { PageTitle } from '@/components/page-title'
import { deleteDossierAction } from '@/actions/dossiers'
import { canDeleteDossier } from '@/lib/dossiers/permissions'
import { parseDossierId } from '@/lib/dossiers/schemas'
import { dossiers } from '@/lib/dossiers/service'
import { formatDateTime } from '@/lib/pages/labels'
import { pageContext } from '@/lib/request/page'

export const metadata: Metadata = { title: 'Supprimer le dossier' }

type Props = { params: Promise<{ id: string }> }

/** The confirmation step before a dossier is deleted: a page and a plain form, so it works without JavaScript. */
export default async function DeleteDossierPage({ params }: Props) {
  const { id: rawId } = await params
  const ctx = await pageContext(`/dossiers/${encodeURIComponent(rawId)}/supprimer`)
  const id = parseDossierId(rawId)
  if (!id) notFound()
  const dossier = (await ctx.run(() => dossiers().getDossier(ctx.tenantId, id))).data
  if (!dossier) notFound()
  const back = `/dossiers/${dossier.id}`
  return (
    <main id="contenu" className="mx-auto max-w-2xl">
      <nav aria-label="Fil d’Ariane" className="mb-4 text-sm">
        <Link href={back} className="link">
          ← Retour au dossier
        </Link>
      </nav>
      <PageTitle title="Supprimer le dossier ?" />
      <div className="card space-y-4">
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
          <dt className="text-slate-600">Dossier</dt>
          <dd className="font-medium text-slate-900">{dossier.title}</dd>
          <dt className="text-slate-600">Référence</dt>
          <dd className="font-mono text-xs leading-5">{dossier.reference}</dd>
          <dt className="text-slate-600">Client</dt>
          <dd>{dossier.clientName}</dd>
          <dt className="text-slate-600">Mis à jour</dt>
          <dd>{formatDateTime(dossier.updatedAt)}</dd>
        </dl>
        {canDeleteDossier(ctx.role) ? (
          <>
            <p className="rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900">
              La suppression est <strong>définitive</strong> : le dossier, ses analyses et ses échéances (et leurs
              rappels) seront effacés et ne pourront pas être récupérés.
            </p>
            <form
              action={deleteDossierAction.bind(null, dossier.id)}
              className="flex flex-col-reverse gap-2 sm:flex-row sm:justify-end"
            >
              <Link href={back} className="btn-secondary">
                Annuler
              </Link>
              <button type="submit" className="btn-danger">
                Supprimer définitivement
              </button>
            </form>
          </>
        ) : (
          <>
            <p role="alert" className="text-sm text-slate-800">
              Seuls les avocats et les administrateurs du cabinet peuvent supprimer un dossier. Demandez-le à l’un
              d’eux.
            </p>
            <Link href={back} className="btn-secondary">
              Retour au dossier
            </Link>
          </>
        )}
      </div>
    </main>
  )
}
