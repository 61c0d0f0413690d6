import type { Metadata } from 'next'
import { DailyBarChart, HorizontalBars, StackedBar } from '@/components/charts'
import { PageTitle } from '@/components/page-title'
import { AI_ANALYSIS_QUEUE } from '@/lib/analyses/job'
import { analysisReads } from '@/lib/analyses/read-model'
import { parisDateKey, parisLocalToInstant } from '@/lib/core/paris-time'
import { formatDateTime, formatNumber, formatRelative } from '@/lib/pages/labels'
import { isPlatformOperator } from '@/lib/core/platform'
import { prisma } from '@/lib/core/prisma'
import { cache, health, queue, type QueueStats, type RedisHealth } from '@/lib/upstash'
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

/** Midnight today, Paris time: "today" as the cabinet counts it. */
function startOfParisDay(now: Date): Date {
  const key = parisDateKey(now)
  const [y, m, d] = key.split('-').map(Number) as [number, number, number]
  return parisLocalToInstant({ year: y, month: m, day: d })
}

/** Slow from here on (ms): a page waits on a few such calls. */
const SLOW_MS = 200
const BAD_MS = 800

export default async function StatusPage() {
  const { identity, run } = await pageContext('/status')
  const isAdmin = identity.role === 'ADMIN'
  // Platform-wide figures show every cabinet's work: for the platform's operators (PLATFORM_ADMIN_EMAILS)
  // only, whatever their role in their own cabinet, as GET /api/queue decides.
  const operator = isPlatformOperator(identity)
  const checkedAt = new Date()
  const [redis, database, activity, queueStats, usage] = await run(() =>
    Promise.all([
      health(),
      timed(() => prisma.$queryRawUnsafe('SELECT 1')),
      settle(() => analysisReads().activityOf(identity.tenantId, startOfParisDay(checkedAt))),
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
  const redisOk = redis.status !== 'down'
  const allOk = redisOk && database.ok

  return (
    <main id="contenu" className="space-y-6">
      <PageTitle title="État du service" subtitle={`Vérifié le ${formatDateTime(checkedAt)}.`} />

      <section aria-labelledby="health-title" className="card">
        <h2 id="health-title" className="text-lg font-semibold text-slate-900">
          Le service
        </h2>
        <p
          className={`mt-2 flex items-center gap-2 text-xl font-semibold ${allOk ? 'text-emerald-800' : 'text-red-800'}`}
          data-testid="service-health"
        >
          <span aria-hidden="true" className={`h-3 w-3 rounded-full ${allOk ? 'bg-emerald-600' : 'bg-red-600'}`} />
          {allOk ? 'Tout fonctionne normalement' : 'Service perturbé'}
        </p>
        <p className="mt-1 text-sm text-slate-700">
          {!database.ok
            ? 'Les dossiers ne peuvent pas être lus ni enregistrés pour le moment. Réessayez dans quelques minutes.'
            : !redisOk
              ? 'Vos dossiers restent accessibles, mais les analyses ne peuvent pas être lancées et la connexion peut échouer. Réessayez dans quelques minutes.'
              : 'Vos dossiers, leurs analyses et la connexion sont disponibles.'}
        </p>
      </section>

      <section aria-labelledby="analyses-title" className="card">
        <h2 id="analyses-title" className="text-lg font-semibold text-slate-900">
          Analyses de votre cabinet
        </h2>
        {!activity.ok ? (
          <p role="alert" className="mt-3 text-sm text-red-800">
            Suivi indisponible pour le moment : réessayez dans quelques minutes.
          </p>
        ) : (
          <>
            <dl className="mt-4 grid grid-cols-2 gap-4 sm:grid-cols-4">
              <Stat label="En attente" value={activity.data.waiting} />
              <Stat label="En cours" value={activity.data.running} />
              <Stat label="Terminées aujourd’hui" value={activity.data.doneToday} />
              <Stat
                label="Échouées aujourd’hui"
                value={activity.data.failedToday}
                warn={activity.data.failedToday > 0}
              />
            </dl>
            <p className="mt-3 text-sm text-slate-700" data-testid="last-analysis">
              {activity.data.lastCompletedAt ? (
                <>
                  Dernière analyse terminée{' '}
                  <time
                    dateTime={activity.data.lastCompletedAt.toISOString()}
                    title={formatDateTime(activity.data.lastCompletedAt)}
                  >
                    {formatRelative(activity.data.lastCompletedAt, checkedAt)}
                  </time>
                  .
                </>
              ) : (
                'Aucune analyse terminée pour le moment.'
              )}
              {activity.data.waiting + activity.data.running > 0 &&
                ' Les analyses demandées sont traitées dans l’ordre, en général en moins d’une minute.'}
            </p>
          </>
        )}
      </section>

      {isAdmin && <TechnicalDetails redis={redis} database={database} />}

      {operator && <PlatformFigures queueStats={queueStats!} usage={usage!} />}
    </main>
  )
}

type Timed = Awaited<ReturnType<typeof timed>>

/** For the cabinet's admins: the two services the app depends on, drawn, with the jargon explained. */
function TechnicalDetails({ redis, database }: { redis: RedisHealth; database: Timed }) {
  return (
    <section aria-labelledby="tech-title" className="card">
      <h2 id="tech-title" className="text-lg font-semibold text-slate-900">
        Détails techniques
      </h2>
      <p className="mt-1 text-sm text-slate-700">
        Réservé aux administrateurs. Le temps que mettent les deux services dont dépend l’application à répondre, mesuré
        à l’instant par le serveur qui affiche cette page.
      </p>
      <HorizontalBars
        title="Temps de réponse"
        max={Math.max(BAD_MS, redis.status === 'disabled' ? 0 : redis.latencyMs, database.latencyMs)}
        data={[
          ...(redis.status === 'disabled'
            ? []
            : [{ label: 'Mémoire partagée', value: redis.latencyMs, unit: 'ms', warnAt: SLOW_MS, badAt: BAD_MS }]),
          { label: 'Base de données', value: database.latencyMs, unit: 'ms', warnAt: SLOW_MS, badAt: BAD_MS },
        ]}
      />
      <dl className="mt-3 space-y-2 text-sm text-slate-700">
        <div>
          <dt className="inline font-medium text-slate-900">Mémoire partagée (Redis, chez Upstash) : </dt>
          <dd className="inline">
            {redis.status === 'disabled'
              ? 'désactivée sur ce serveur (REDIS_ENABLED=false) : un seul serveur, sans file d’analyse.'
              : redis.status === 'up'
                ? 'opérationnelle. Elle garde les sessions, la file des analyses et une copie des listes consultées souvent.'
                : 'injoignable. Sessions, analyses et copies des listes ne fonctionnent plus.'}
          </dd>
        </div>
        <div>
          <dt className="inline font-medium text-slate-900">Base de données : </dt>
          <dd className="inline">
            {database.ok ? 'opérationnelle. Elle conserve les dossiers, les analyses et les comptes.' : 'injoignable.'}
          </dd>
        </div>
        <div>
          <dt className="inline font-medium text-slate-900">Repères : </dt>
          <dd className="inline">
            en dessous de {SLOW_MS} ms, rien ne se remarque ; au-delà de {BAD_MS} ms, les pages ralentissent.
          </dd>
        </div>
      </dl>
    </section>
  )
}

/** For the platform's operators: every cabinet's queue, the cache and the Upstash bill. */
function PlatformFigures({
  queueStats,
  usage,
}: {
  queueStats: Awaited<ReturnType<typeof settle<QueueStats>>>
  usage: { ok: true; data: UsageReport } | { ok: false; configError: string | null }
}) {
  const stats = cache.stats()
  const hits = stats.hits + stats.staleHits
  const reads = hits + stats.misses
  return (
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
        <h3 className="text-base font-semibold text-slate-900">File d’attente des analyses, tous cabinets</h3>
        <p className="mt-1 text-xs text-slate-600">
          Instantané de la file <span className="font-mono">{AI_ANALYSIS_QUEUE}</span> ; son historique n’est pas
          conservé.
        </p>
        {!queueStats.ok ? (
          <p role="alert" className="mt-3 text-sm text-red-800">
            File indisponible : la mémoire partagée ne répond pas.
          </p>
        ) : (
          <>
            <StackedBar
              title="Analyses dans la file"
              data={[
                { label: 'En attente', value: queueStats.data.waiting, color: '#b45309' },
                { label: 'En traitement', value: queueStats.data.inFlight, color: '#1d4ed8' },
                { label: 'Reportées', value: queueStats.data.delayed, color: '#64748b' },
                { label: 'Abandonnées', value: queueStats.data.dead, color: '#b91c1c' },
              ]}
            />
            <dl className="mt-4 grid grid-cols-2 gap-4 sm:grid-cols-4">
              <Stat label="En attente" value={queueStats.data.waiting} />
              <Stat label="En traitement" value={queueStats.data.inFlight} />
              <Stat label="Reportées" value={queueStats.data.delayed} />
              <Stat label="Abandonnées" value={queueStats.data.dead} warn={queueStats.data.dead > 0} />
            </dl>
            <p className="mt-3 text-xs text-slate-600">
              « Reportées » : une tentative a échoué, la suivante attend son heure. « Abandonnées » (lettres mortes) :
              toutes les tentatives ont échoué ; l’analyse est marquée en échec dans son dossier et peut être relancée.
            </p>
          </>
        )}
      </div>

      <div className="card">
        <h3 className="text-base font-semibold text-slate-900">Lectures servies par la mémoire partagée</h3>
        <p className="mt-2 text-2xl font-bold text-slate-900 tabular-nums">
          {reads === 0 ? '—' : `${formatNumber((hits / reads) * 100, 1)} %`}
        </p>
        <p className="mt-1 text-xs text-slate-600">
          {formatNumber(hits)} lectures servies par la copie en mémoire, {formatNumber(stats.misses)} lues dans la base
          de données faute de copie à jour, depuis le démarrage de ce serveur (tous cabinets).
        </p>
      </div>

      <div className="card">
        <h3 className="text-base font-semibold text-slate-900">Commandes Upstash facturées ce mois-ci</h3>
        {usage.ok ? (
          <Usage usage={usage.data} />
        ) : usage.configError ? (
          <p role="alert" className="mt-3 text-sm text-red-800">
            Consommation indisponible : réglage invalide ({usage.configError}).
          </p>
        ) : (
          <p role="alert" className="mt-3 text-sm text-red-800">
            Consommation indisponible : la mémoire partagée ne répond pas.
          </p>
        )}
      </div>
    </section>
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
const dayShort = (day: string) =>
  new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${day}T00:00:00Z`),
  )
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
      {usage.history.length > 0 && (
        <div>
          <h4 className="mt-2 text-sm font-semibold text-slate-900">Commandes par jour (UTC)</h4>
          <DailyBarChart
            title={`Commandes facturées par jour, ${usage.history.length} derniers jours`}
            unit="commandes"
            data={usage.history.map((h) => ({ label: dayShort(h.day), longLabel: dayName(h.day), value: h.used }))}
          />
        </div>
      )}
      {usage.previousMonth && (
        <p className="text-xs text-slate-700">
          {monthName(usage.previousMonth.month)} : {formatNumber(usage.previousMonth.used)} commandes enregistrées.
        </p>
      )}
    </div>
  )
}
