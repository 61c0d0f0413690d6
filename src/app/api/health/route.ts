import { health } from '@/lib/upstash'
import { prisma } from '@/lib/prisma'

export const dynamic = 'force-dynamic'

/** Liveness of the app's two stores: 200 when both answer, 503 otherwise (Redis "disabled" counts as fine). */
export async function GET(): Promise<Response> {
  const redis = await health()
  let database: { status: 'up' } | { status: 'down'; error: string }
  try {
    await prisma.$queryRawUnsafe('SELECT 1')
    database = { status: 'up' }
  } catch (err) {
    database = { status: 'down', error: (err as Error).message }
  }
  const ok = redis.status !== 'down' && database.status === 'up'
  return Response.json({ status: ok ? 'ok' : 'degraded', redis, database }, { status: ok ? 200 : 503 })
}
