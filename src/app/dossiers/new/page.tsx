import type { Metadata } from 'next'
import { DossierForm } from '@/components/dossier-form'
import { PageTitle } from '@/components/page-title'
import { createDossierAction } from '@/actions/dossiers'
import { pageContext } from '@/lib/request/page'

export const metadata: Metadata = { title: 'Nouveau dossier' }

export default async function NewDossierPage() {
  await pageContext('/dossiers/new')
  return (
    <main id="contenu" className="mx-auto max-w-3xl">
      <PageTitle title="Nouveau dossier" subtitle="Le dossier est ajouté aux dossiers de votre cabinet." />
      <div className="card">
        <DossierForm
          action={createDossierAction}
          mode="create"
          initial={{ title: '', clientName: '', reference: '', description: '', status: 'OPEN' }}
        />
      </div>
    </main>
  )
}
