import Link from 'next/link'
import type { Role } from '@/lib/core/identity'
import { canDeleteDossier } from '@/lib/dossiers/permissions'

/**
 * The dossier page's last section: deleting it, for those who may (lawyers and admins). The link
 * leads to a confirmation page, so nothing is deleted by a single click, with or without JavaScript.
 */
export function DossierDeleteLink({ dossierId, role }: { dossierId: string; role: Role }) {
  if (!canDeleteDossier(role)) return null
  return (
    <section aria-labelledby="delete-heading" className="rounded-lg border border-red-200 bg-white p-4 sm:p-6">
      <h2 id="delete-heading" className="text-lg font-semibold text-slate-900">
        Supprimer le dossier
      </h2>
      <div className="mt-2 flex flex-col gap-3 sm:flex-row sm:items-center sm:justify-between">
        <p className="text-sm text-slate-700">
          Le dossier, ses analyses et ses échéances sont supprimés définitivement. Une confirmation vous est demandée.
        </p>
        <Link href={`/dossiers/${dossierId}/supprimer`} className="btn-danger shrink-0">
          Supprimer le dossier…
        </Link>
      </div>
    </section>
  )
}
