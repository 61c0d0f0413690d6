'use client'

/** When even the layout fails: a plain page of its own (the root layout did not render). */
export default function GlobalError({ reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="fr">
      <body style={{ fontFamily: 'system-ui, sans-serif', background: '#f8fafc', color: '#0f172a', margin: 0 }}>
        <main style={{ maxWidth: 560, margin: '4rem auto', padding: '0 1rem', textAlign: 'center' }}>
          <h1 style={{ fontSize: '1.5rem' }}>IA Poste Manager est momentanément indisponible</h1>
          <p>Réessayez dans un instant.</p>
          <button
            type="button"
            onClick={reset}
            style={{
              padding: '0.5rem 1rem',
              background: '#1d4ed8',
              color: '#fff',
              border: 0,
              borderRadius: 6,
              fontWeight: 600,
            }}
          >
            Réessayer
          </button>
        </main>
      </body>
    </html>
  )
}
