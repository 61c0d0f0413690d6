import { prisma } from '@/lib/prisma'
import { health } from '@/lib/upstash'

export const dynamic = 'force-dynamic'

/**
 * Liveness of the app's two stores: `{ status, redis: { ok, latencyMs }, database: { ok, latencyMs } }`,
 * 200 when both answer, 503 otherwise (Redis "disabled" counts as fine). Not rate-limited.
 */
export async function GET(): Promise<Response> {
  const [redis, database] = await Promise.all([
    health().then((h) => ({ ok: h.status !== 'down', latencyMs: 'latencyMs' in h ? h.latencyMs : 0, ...(h.status === 'disabled' ? { disabled: true } : {}) })),
    timed(() => prisma.$queryRawUnsafe('SELECT 1')),
  ])
  const ok = redis.ok && database.ok
  return Response.json({ status: ok ? 'ok' : 'degraded', redis, database }, { status: ok ? 200 : 503, headers: { 'cache-control': 'no-store' } })
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
