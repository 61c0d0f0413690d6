import Link from 'next/link'

/** Unknown pages, and dossiers that are not the viewer's cabinet's (the same answer, status 404). */
export default function NotFound() {
  return (
    <main id="contenu" className="mx-auto max-w-xl">
      <div className="card text-center">
        <p className="text-sm font-semibold text-blue-800">Erreur 404</p>
        <h1 className="mt-2 text-2xl font-bold text-slate-900">Page introuvable</h1>
        <p className="mt-2 text-slate-700">
          Cette page ou ce dossier n’existe pas, ou n’appartient pas à votre cabinet.
        </p>
        <Link href="/dossiers" className="btn-primary mt-6">
          Retour aux dossiers
        </Link>
      </div>
    </main>
  )
}
