import type { Metadata } from 'next'
import type { ReactNode } from 'react'
import { PageTitle } from '@/components/page-title'
import { AI_ANALYSIS_QUEUE } from '@/lib/analyses/job'
import { analysisReads } from '@/lib/analyses/read-model'
import { formatDateTime, formatNumber } from '@/lib/pages/labels'
import { isPlatformOperator } from '@/lib/platform'
import { prisma } from '@/lib/prisma'
import { cache, health, queue } from '@/lib/upstash'
import { pageContext } from '@/lib/request/page'
import { readUsage, UsageConfigError, type UsageReport } from '@/lib/usage/upstash-usage'

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
  const { identity, run } = await pageContext('/status')
  const isAdmin = identity.role === 'ADMIN'
  // Platform-wide figures show every cabinet's work: for the platform's operators only.
  const operator = isPlatformOperator(identity)
  const [redis, database, cabinetCounts, queueStats, usage] = await run(() =>
    Promise.all([
      health(),
      timed(() => prisma.$queryRawUnsafe('SELECT 1')),
      isAdmin ? settle(() => analysisReads().countsOf(identity.tenantId)) : Promise.resolve(null),
      operator ? settle(() => queue.stats(AI_ANALYSIS_QUEUE)) : Promise.resolve(null),
      operator
        ? readUsage().then(
            (data) => ({ ok: true as const, data }),
            (err: unknown) => ({
              ok: false as const,
              configError: err instanceof UsageConfigError ? err.issues.join(' ; ') : null,
            }),
          )
        : Promise.resolve(null),
    ]),
  )
  const stats = cache.stats()
  const hits = stats.hits + stats.staleHits
  const reads = hits + stats.misses
  const checkedAt = new Date()

  return (
    <main id="contenu" className="space-y-6">
      <PageTitle
        title="État du service"
        subtitle={`Mesuré le ${formatDateTime(checkedAt)}, par l’instance qui a servi cette page.`}
      />

      <section aria-labelledby="health-title">
        <h2 id="health-title" className="sr-only">
          Santé des services
        </h2>
        <div className="grid gap-4 sm:grid-cols-2">
          <Tile label="Redis (Upstash)">
            {redis.status === 'disabled' ? (
              <Health ok={true} text="Désactivé (REDIS_ENABLED=false)" />
            ) : (
              <Health
                ok={redis.status === 'up'}
                text={redis.status === 'up' ? 'Opérationnel' : 'Injoignable'}
                latencyMs={redis.latencyMs}
              />
            )}
          </Tile>
          <Tile label="Base de données">
            <Health
              ok={database.ok}
              text={database.ok ? 'Opérationnelle' : 'Injoignable'}
              latencyMs={database.latencyMs}
            />
          </Tile>
        </div>
      </section>

      <section aria-labelledby="analyses-title" className="card">
        <h2 id="analyses-title" className="text-lg font-semibold text-slate-900">
          Analyses de votre cabinet
        </h2>
        {cabinetCounts === null ? (
          <p className="mt-3 text-sm text-slate-700">
            Le suivi des analyses du cabinet est réservé à ses administrateurs.
          </p>
        ) : !cabinetCounts.ok ? (
          <p role="alert" className="mt-3 text-sm text-red-800">
            Suivi indisponible : la base de données ne répond pas.
          </p>
        ) : (
          <dl className="mt-4 grid grid-cols-2 gap-4 sm:grid-cols-4">
            <Stat label="En attente" value={cabinetCounts.data.waiting} />
            <Stat label="En cours" value={cabinetCounts.data.running} />
            <Stat label="Terminées" value={cabinetCounts.data.done} />
            <Stat label="En échec" value={cabinetCounts.data.failed} warn={cabinetCounts.data.failed > 0} />
          </dl>
        )}
      </section>

      {operator && (
        <section aria-labelledby="platform-title" className="space-y-4">
          <div>
            <h2 id="platform-title" className="text-lg font-semibold text-slate-900">
              Plateforme
            </h2>
            <p className="text-sm text-slate-700">
              Réservé aux opérateurs de la plateforme : ces chiffres incluent l’activité de tous les cabinets.
            </p>
          </div>

          <div className="card">
            <h3 className="text-base font-semibold text-slate-900">
              File d’analyse, tous cabinets{' '}
              <span className="font-mono text-sm font-normal text-slate-600">{AI_ANALYSIS_QUEUE}</span>
            </h3>
            {!queueStats!.ok ? (
              <p role="alert" className="mt-3 text-sm text-red-800">
                Statistiques indisponibles : Redis ne répond pas.
              </p>
            ) : (
              <dl className="mt-4 grid grid-cols-2 gap-4 sm:grid-cols-4">
                <Stat label="En attente" value={queueStats!.data.waiting} />
                <Stat label="En traitement" value={queueStats!.data.inFlight} />
                <Stat label="Différées" value={queueStats!.data.delayed} />
                <Stat label="Lettres mortes" value={queueStats!.data.dead} warn={queueStats!.data.dead > 0} />
              </dl>
            )}
          </div>

          <div className="card">
            <h3 className="text-base font-semibold text-slate-900">Taux de succès du cache, tous cabinets</h3>
            <p className="mt-2 text-2xl font-bold text-slate-900 tabular-nums">
              {reads === 0 ? '—' : `${formatNumber((hits / reads) * 100, 1)} %`}
            </p>
            <p className="mt-1 text-xs text-slate-600">
              {formatNumber(hits)} succès, {formatNumber(stats.misses)} échecs depuis le démarrage de cette instance
            </p>
          </div>

          <div className="card">
            <h3 className="text-base font-semibold text-slate-900">Consommation Upstash ce mois-ci</h3>
            {usage!.ok ? (
              <Usage usage={usage!.data} />
            ) : usage!.configError ? (
              <p role="alert" className="mt-3 text-sm text-red-800">
                Consommation indisponible : réglage invalide ({usage!.configError}).
              </p>
            ) : (
              <p role="alert" className="mt-3 text-sm text-red-800">
                Consommation indisponible : Redis ne répond pas.
              </p>
            )}
          </div>
        </section>
      )}
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
      {latencyMs !== undefined && (
        <p className="mt-1 text-xs text-slate-600">Latence : {formatNumber(latencyMs, 1)} ms</p>
      )}
    </>
  )
}

function Stat({ label, value, warn = false }: { label: string; value: number; warn?: boolean }) {
  return (
    <div className={`rounded-md p-3 ${warn ? 'bg-red-50' : 'bg-slate-50'}`}>
      <dt className="text-xs font-semibold tracking-wide text-slate-700 uppercase">{label}</dt>
      <dd className={`mt-1 text-2xl font-bold tabular-nums ${warn ? 'text-red-800' : 'text-slate-900'}`}>
        {formatNumber(value)}
      </dd>
    </div>
  )
}

const monthName = (month: string) =>
  new Intl.DateTimeFormat('fr-FR', { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${month}-01T00:00:00Z`),
  )
/** "une fois par minute", "toutes les 5 minutes", "toutes les 30 secondes". */
function everyLabel(seconds: number): string {
  const [n, unit] = seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'seconde']
  return n === 1 ? `une fois par ${unit}` : `toutes les ${formatNumber(n)} ${unit}s`
}
/** When the month's count resets (the 1st, 00:00 UTC), in Paris time for the reader. */
const resetLabel = (month: string) => {
  const [y, m] = month.split('-').map(Number) as [number, number]
  // French writes the first of the month "1er".
  return new Intl.DateTimeFormat('fr-FR', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Paris' })
    .format(new Date(Date.UTC(y, m, 1)))
    .replace(/^1 /, '1er ')
}
const dayName = (day: string) =>
  new Intl.DateTimeFormat('fr-FR', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(
    new Date(`${day}T00:00:00Z`),
  )

function Usage({ usage }: { usage: UsageReport }) {
  const share = usage.monthUsed / usage.limit
  const projectedShare = usage.monthProjected / usage.limit
  const tone = projectedShare > 1 ? 'bg-red-600' : projectedShare > 0.8 ? 'bg-amber-500' : 'bg-emerald-600'
  return (
    <div className="mt-3 space-y-3 text-sm">
      <p className="text-slate-800">
        <span className="text-2xl font-bold text-slate-900 tabular-nums" data-testid="usage-month">
          {formatNumber(usage.monthUsed)}
        </span>{' '}
        commandes facturées en {monthName(usage.month)}, sur les {formatNumber(usage.limit)} par mois de votre offre,
        soit {formatNumber(share * 100, 1)} %.
      </p>
      <div
        className="h-3 w-full overflow-hidden rounded-full bg-slate-200"
        role="meter"
        aria-label="Part de l’offre mensuelle utilisée"
        aria-valuemin={0}
        aria-valuemax={usage.limit}
        aria-valuenow={Math.min(usage.monthUsed, usage.limit)}
      >
        <div className={`h-full ${tone}`} style={{ width: `${Math.min(100, share * 100)}%` }} />
      </div>
      <p className={projectedShare > 1 ? 'font-semibold text-red-800' : 'text-slate-800'}>
        Projection pour le mois au rythme actuel : {formatNumber(usage.monthProjected)} commandes (
        {formatNumber(projectedShare * 100, 0)} % de l’offre)
        {projectedShare > 1
          ? ' : l’offre sera épuisée avant la fin du mois ; Upstash refuserait alors toute commande jusqu’au 1er du mois suivant.'
          : '.'}
      </p>
      <p className="text-slate-800">
        Aujourd’hui :{' '}
        <span className="font-semibold tabular-nums" data-testid="usage-today">
          {formatNumber(usage.today)}
        </span>{' '}
        commandes. Remise à zéro le {resetLabel(usage.month)} (heure de Paris).
      </p>
      <p className="text-xs text-slate-600">
        Compté comme Upstash facture : chaque commande compte, celles d’un envoi groupé une par une, et un script compte
        pour une commande plus chacune de celles qu’il exécute. Le mois et les jours sont en temps universel (UTC),
        comme la remise à zéro d’Upstash le 1er du mois ; le mois est écoulé à{' '}
        {formatNumber(usage.monthElapsed * 100, 0)} %. Chaque instance (serveur, worker) compte ses commandes et les
        ajoute au total {everyLabel(usage.flushSeconds)} au plus (une commande, comptée elle aussi), rien quand elle est
        inactive.
      </p>
      {(usage.history.length > 1 || usage.previousMonth) && (
        <details className="text-xs text-slate-700">
          <summary className="cursor-pointer font-medium">Historique</summary>
          {usage.previousMonth && (
            <p className="mt-2">
              {monthName(usage.previousMonth.month)} : {formatNumber(usage.previousMonth.used)} commandes enregistrées.
            </p>
          )}
          <ul className="mt-2 grid grid-cols-2 gap-1 sm:grid-cols-4" aria-label="Commandes par jour (UTC)">
            {usage.history.map((h) => (
              <li key={h.day}>
                {dayName(h.day)} : {formatNumber(h.used)}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  )
}
