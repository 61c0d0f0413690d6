import { prisma } from '@/lib/core/prisma'
import { health, lastRedisFailureAt } from '@/lib/upstash'

export const dynamic = 'force-dynamic'

/** How long one instance answers from its last check: monitors (or anyone) polling cost 1 Redis command per this, not per call. */
const FRESH_MS = 5_000
/** A failed check is made again sooner (a failed Redis call is not billed): recovery shows within a second. */
const FRESH_WHEN_DEGRADED_MS = 1_000

interface HealthReport {
  status: 'ok' | 'degraded'
  redis: { ok: boolean; latencyMs: number; disabled?: true }
  database: { ok: boolean; latencyMs: number }
  /** When these were measured (ISO); at most FRESH_MS ago. */
  checkedAt: string
}

/** The check in progress or last made on this instance (concurrent callers share one). */
let last: { at: number; checkedAtMs: number; report: Promise<HealthReport>; ok?: boolean } | undefined

/**
 * Liveness of the app's two stores: `{ status, redis: { ok, latencyMs }, database: { ok, latencyMs }, checkedAt }`,
 * 200 when both answer, 503 otherwise (Redis "disabled" counts as fine). Not rate-limited, hence measured
 * at most every 5 s per instance (sooner once any call here found Redis gone): 100 calls cost 1 billed
 * command, not 100.
 */
export async function GET(): Promise<Response> {
  const age = last ? performance.now() - last.at : Infinity
  // A call of this instance found Redis gone since the last check: "up" is no longer news.
  const contradicted = last?.ok === true && lastRedisFailureAt() > last.checkedAtMs
  if (!last || age > FRESH_MS || contradicted || (last.ok === false && age > FRESH_WHEN_DEGRADED_MS)) {
    const entry: NonNullable<typeof last> = { at: performance.now(), checkedAtMs: Date.now(), report: check() }
    void entry.report.then((r) => (entry.ok = r.status === 'ok'))
    last = entry
  }
  const report = await last.report
  const ok = report.status === 'ok'
  return Response.json(report, { status: ok ? 200 : 503, headers: { 'cache-control': 'no-store' } })
}

async function check(): Promise<HealthReport> {
  const [redis, database] = await Promise.all([
    health().then((h) => ({
      ok: h.status !== 'down',
      latencyMs: 'latencyMs' in h ? h.latencyMs : 0,
      ...(h.status === 'disabled' ? { disabled: true as const } : {}),
    })),
    timed(() => prisma.$queryRawUnsafe('SELECT 1')),
  ])
  return { status: redis.ok && database.ok ? 'ok' : 'degraded', redis, database, checkedAt: new Date().toISOString() }
}

async function timed(check: () => Promise<unknown>): Promise<{ ok: boolean; latencyMs: number }> {
  const start = performance.now()
  try {
    await check()
    return { ok: true, latencyMs: Math.round((performance.now() - start) * 100) / 100 }
  } catch {
    return { ok: false, latencyMs: Math.round((performance.now() - start) * 100) / 100 }
  }
}
