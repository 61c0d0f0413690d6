import type { Metadata } from 'next'
import { notFound } from 'next/navigation'
import { PageTitle } from '@/components/page-title'
import { listCaughtMail } from '@/lib/mail/caught-mail'
import { formatDateTime } from '@/lib/pages/labels'

export const metadata: Metadata = { title: 'Courriels envoyés (développement)' }
export const dynamic = 'force-dynamic'

/**
 * Development only (a 404 in production): what `npm run dev`'s local mail catcher received, newest first.
 * HTML bodies are shown in a sandboxed iframe (no script, no form, no navigation, an opaque origin).
 */
export default function CaughtMailPage() {
  if (process.env.NODE_ENV === 'production') notFound()
  const mails = listCaughtMail()
  return (
    <main id="contenu">
      <PageTitle
        title="Courriels envoyés"
        subtitle="Développement seulement : les e-mails reçus par le serveur SMTP local de npm run dev, les plus récents d’abord."
      />
      {mails.length === 0 ? (
        <p className="card text-sm text-slate-700">Aucun courriel pour l’instant.</p>
      ) : (
        <ul className="space-y-4">
          {mails.map((m) => (
            <li key={m.id} className="card">
              <article aria-labelledby={`mail-${m.id}`}>
                <h2 id={`mail-${m.id}`} className="text-lg font-semibold break-words text-slate-900">
                  {m.subject || '(sans objet)'}
                </h2>
                <dl className="mt-2 grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
                  <dt className="text-slate-600">De</dt>
                  <dd className="break-all">{m.from}</dd>
                  <dt className="text-slate-600">À</dt>
                  <dd className="break-all">{m.to.join(', ')}</dd>
                  <dt className="text-slate-600">Reçu le</dt>
                  <dd>{formatDateTime(m.receivedAt)}</dd>
                </dl>
                {m.html && (
                  <iframe
                    sandbox=""
                    srcDoc={m.html}
                    title={`Aperçu HTML : ${m.subject}`}
                    className="mt-3 h-80 w-full rounded-md border border-slate-300 bg-white"
                  />
                )}
                <details className="mt-3">
                  <summary className="link cursor-pointer text-sm">Version texte</summary>
                  <pre className="mt-2 overflow-x-auto rounded-md bg-slate-50 p-3 text-xs whitespace-pre-wrap">
                    {m.text}
                  </pre>
                </details>
              </article>
            </li>
          ))}
        </ul>
      )}
    </main>
  )
}
