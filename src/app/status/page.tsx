import type { Metadata } from 'next'
import type { ReactNode } from 'react'
import { PageTitle } from '@/components/page-title'
import { AI_ANALYSIS_QUEUE } from '@/lib/ai-queue'
import { requireUser, withPageBudget } from '@/lib/pages/auth'
import { formatDateTime, formatNumber } from '@/lib/pages/labels'
import { prisma } from '@/lib/prisma'
import { cache, health, queue } from '@/lib/upstash'
import { readUsage, type UsageToday } from '@/lib/usage/upstash-usage'

export const metadata: Metadata = { title: 'État du service' }

async function timed(check: () => Promise<unknown>): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
  const start = performance.now()
  try {
    await check()
    return { ok: true, latencyMs: performance.now() - start }
  } catch (err) {
    return { ok: false, latencyMs: performance.now() - start, error: (err as Error).message }
  }
}

async function settle<T>(read: () => Promise<T>): Promise<{ ok: true; data: T } | { ok: false; error: string }> {
  try {
    return { ok: true, data: await read() }
  } catch (err) {
    return { ok: false, error: (err as Error).message }
  }
}

export default async function StatusPage() {
  const identity = await requireUser('/status')
  const isAdmin = identity.role === 'ADMIN'
  const [redis, database, queueStats, usage] = await withPageBudget(() =>
    Promise.all([
    health(),
    timed(() => prisma.$queryRawUnsafe('SELECT 1')),
    isAdmin ? settle(() => queue.stats(AI_ANALYSIS_QUEUE)) : Promise.resolve(null),
    settle(() => readUsage()),
    ]),
  )
  const stats = cache.stats()
  const hits = stats.hits + stats.staleHits
  const reads = hits + stats.misses
  const checkedAt = new Date()

  return (
    <main id="contenu" className="space-y-6">
      <PageTitle title="État du service" subtitle={`Mesuré le ${formatDateTime(checkedAt)}, par l’instance qui a servi cette page.`} />

      <section aria-labelledby="health-title">
        <h2 id="health-title" className="sr-only">
          Santé des services
        </h2>
        <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          <Tile label="Redis (Upstash)">
            {redis.status === 'disabled' ? (
              <Health ok={true} text="Désactivé (REDIS_ENABLED=false)" />
            ) : (
              <Health ok={redis.status === 'up'} text={redis.status === 'up' ? 'Opérationnel' : 'Injoignable'} latencyMs={redis.latencyMs} />
            )}
          </Tile>
          <Tile label="Base de données">
            <Health ok={database.ok} text={database.ok ? 'Opérationnelle' : 'Injoignable'} latencyMs={database.latencyMs} />
          </Tile>
          <Tile label="Taux de succès du cache">
            <p className="text-2xl font-bold text-slate-900 tabular-nums">{reads === 0 ? '—' : `${formatNumber((hits / reads) * 100, 1)} %`}</p>
            <p className="mt-1 text-xs text-slate-600">
              {formatNumber(hits)} succès, {formatNumber(stats.misses)} échecs depuis le démarrage de cette instance
            </p>
          </Tile>
        </div>
      </section>

      <section aria-labelledby="queue-title" className="card">
        <h2 id="queue-title" className="text-lg font-semibold text-slate-900">
          File d’analyse <span className="font-mono text-sm font-normal text-slate-600">{AI_ANALYSIS_QUEUE}</span>
        </h2>
        {queueStats === null ? (
          <p className="mt-3 text-sm text-slate-700">Les statistiques de la file sont réservées aux administrateurs du cabinet.</p>
        ) : !queueStats.ok ? (
          <p role="alert" className="mt-3 text-sm text-red-800">
            Statistiques indisponibles : Redis ne répond pas.
          </p>
        ) : (
          <dl className="mt-4 grid grid-cols-2 gap-4 sm:grid-cols-4">
            <Stat label="En attente" value={queueStats.data.waiting} />
            <Stat label="En traitement" value={queueStats.data.inFlight} />
            <Stat label="Différées" value={queueStats.data.delayed} />
            <Stat label="Lettres mortes" value={queueStats.data.dead} warn={queueStats.data.dead > 0} />
          </dl>
        )}
      </section>

      <section aria-labelledby="usage-title" className="card">
        <h2 id="usage-title" className="text-lg font-semibold text-slate-900">
          Commandes Upstash aujourd’hui
        </h2>
        {usage.ok ? (
          <Usage usage={usage.data} />
        ) : (
          <p role="alert" className="mt-3 text-sm text-red-800">
            Consommation indisponible : Redis ne répond pas.
          </p>
        )}
      </section>
    </main>
  )
}

function Tile({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="card">
      <h3 className="text-sm font-medium text-slate-700">{label}</h3>
      <div className="mt-2">{children}</div>
    </div>
  )
}

function Health({ ok, text, latencyMs }: { ok: boolean; text: string; latencyMs?: number }) {
  return (
    <>
      <p className={`flex items-center gap-2 text-lg font-semibold ${ok ? 'text-emerald-800' : 'text-red-800'}`}>
        <span aria-hidden="true" className={`h-2.5 w-2.5 rounded-full ${ok ? 'bg-emerald-600' : 'bg-red-600'}`} />
        {text}
      </p>
      {latencyMs !== undefined && <p className="mt-1 text-xs text-slate-600">Latence : {formatNumber(latencyMs, 1)} ms</p>}
    </>
  )
}

function Stat({ label, value, warn = false }: { label: string; value: number; warn?: boolean }) {
  return (
    <div className={`rounded-md p-3 ${warn ? 'bg-red-50' : 'bg-slate-50'}`}>
      <dt className="text-xs font-semibold tracking-wide text-slate-700 uppercase">{label}</dt>
      <dd className={`mt-1 text-2xl font-bold tabular-nums ${warn ? 'text-red-800' : 'text-slate-900'}`}>{formatNumber(value)}</dd>
    </div>
  )
}

function Usage({ usage }: { usage: UsageToday }) {
  const share = usage.used / usage.budget
  const projectedShare = usage.projected / usage.budget
  const tone = projectedShare > 1 ? 'bg-red-600' : projectedShare > 0.8 ? 'bg-amber-500' : 'bg-emerald-600'
  return (
    <div className="mt-3 space-y-3 text-sm">
      <p className="text-slate-800">
        <span className="text-2xl font-bold text-slate-900 tabular-nums" data-testid="usage-used">
          {formatNumber(usage.used)}
        </span>{' '}
        sur {formatNumber(usage.budget)} commandes par jour (offre gratuite), soit {formatNumber(share * 100, 1)} %.
      </p>
      <div className="h-3 w-full overflow-hidden rounded-full bg-slate-200" aria-hidden="true">
        <div className={`h-full ${tone}`} style={{ width: `${Math.min(100, share * 100)}%` }} />
      </div>
      <p className={projectedShare > 1 ? 'font-semibold text-red-800' : 'text-slate-800'}>
        Projection pour la journée : {formatNumber(usage.projected)} commandes ({formatNumber(projectedShare * 100, 0)} % du quota)
        {projectedShare > 1 ? ' : le quota gratuit sera dépassé à ce rythme.' : '.'}
      </p>
      <p className="text-xs text-slate-600">
        Journée UTC du {usage.day}, écoulée à {formatNumber(usage.dayElapsed * 100, 0)} %. Chaque instance (serveur, worker) compte ses commandes en mémoire et les
        ajoute au total une fois par minute au plus (une commande), rien quand elle est inactive ; un script compte pour une commande.
      </p>
      {usage.history.length > 0 && (
        <details className="text-xs text-slate-700">
          <summary className="cursor-pointer font-medium">Jours précédents</summary>
          <ul className="mt-2 grid grid-cols-2 gap-1 sm:grid-cols-4">
            {usage.history.map((h) => (
              <li key={h.day}>
                {h.day} : {formatNumber(h.used)}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  )
}
