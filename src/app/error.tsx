'use client'

import Link from 'next/link'
import { useEffect } from 'react'

/** An unexpected error in a page: a message in the app's layout, never a stack trace. */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => {
    console.warn('[page] error', error.digest ?? '')
  }, [error])
  return (
    <main id="contenu" className="mx-auto max-w-xl">
      <div className="card text-center">
        <p className="text-sm font-semibold text-red-800">Erreur</p>
        <h1 className="mt-2 text-2xl font-bold text-slate-900">Un problème est survenu</h1>
        <p className="mt-2 text-slate-700">
          La page n’a pas pu être affichée. Le service est peut-être momentanément indisponible ; réessayez dans un
          instant.
        </p>
        {error.digest && <p className="mt-2 font-mono text-xs text-slate-600">Référence : {error.digest}</p>}
        <div className="mt-6 flex flex-col justify-center gap-2 sm:flex-row">
          <button type="button" className="btn-primary" onClick={reset}>
            Réessayer
          </button>
          <Link href="/status" className="btn-secondary">
            État du service
          </Link>
        </div>
      </div>
    </main>
  )
}
