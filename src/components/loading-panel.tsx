/** What a page shows while its data loads: the page's shape, and a polite announcement. */
export function LoadingPanel({ title }: { title: string }) {
  return (
    <main id="contenu" aria-busy="true">
      <h1 className="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl">{title}</h1>
      <p role="status" className="mt-2 text-sm text-slate-700">
        Chargement…
      </p>
      <div className="mt-6 space-y-3" aria-hidden="true">
        {[0, 1, 2, 3].map((i) => (
          <div key={i} className="h-14 animate-pulse rounded-lg bg-slate-200/70" />
        ))}
      </div>
    </main>
  )
}
