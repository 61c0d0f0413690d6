/**
 * The usage meter in the real production server (scripts/serve.ts) with its timer off, as on Vercel
 * where a frozen instance never fires one: the counts are saved only at the end of requests (Next's
 * after(), scheduled by the proxy and by the counting itself). On a private stack, so INFO
 * commandstats sees only this server: what it saved equals what Redis executed (its own HINCRBYs
 * included), and requests that make no Redis call cost nothing once everything is saved.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { usageKey, utcDay } from '@/lib/usage/upstash-usage'
import { seedDemo } from '../../prisma/seed'
import { Client, startApp, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { directClient } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

const db = tempDatabase('usageflush')
const prefix = uniquePrefix('usageflush')
let stack: Stack
let app: RunningApp | undefined
let redis: Awaited<ReturnType<typeof directClient>>
/** HGETs this test sent itself (commandstats counts them; the server's meter does not). */
let ownReads = 0

/** Commands Redis executed since the last reset, but this test's own INFO, HGETs and CONFIG RESETSTAT. */
async function executed(): Promise<Record<string, number>> {
  const info = (await redis.sendCommand(['INFO', 'commandstats'])) as string
  const by: Record<string, number> = {}
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    if (m[1] !== 'info' && m[1] !== 'config|resetstat') by[m[1]!] = Number(m[2])
  by.hget = (by.hget ?? 0) - ownReads
  if (by.hget === 0) delete by.hget
  return by
}
const total = (by: Record<string, number>) => Object.values(by).reduce((a, b) => a + b, 0)
async function saved(): Promise<number> {
  ownReads++
  return Number((await redis.hGet(usageKey(prefix), utcDay())) ?? 0)
}

beforeAll(async () => {
  await seedDemo(db.url, () => {})
  stack = await startStack()
  redis = await directClient(stack.env.REDIS_URL)
  // Counted from before the server starts, so everything it ever sends is in both figures.
  await redis.sendCommand(['CONFIG', 'RESETSTAT'])
  app = await startApp({
    ...stack.env,
    DATABASE_URL: db.url,
    REDIS_KEY_PREFIX: prefix,
    UPSTASH_DISABLE_TELEMETRY: 'true',
    UPSTASH_USAGE_FLUSH_SECONDS: '1',
    UPSTASH_USAGE_FLUSH_TIMER: 'false',
  })
})
afterAll(async () => {
  await app?.stop()
  await redis?.close()
  await stack?.stop()
  db.remove()
})

describe('usage meter flushed at the end of requests (no timer)', () => {
  it(
    'saves exactly what Redis executed, then costs nothing while requests make no Redis call',
    { timeout: 60_000 },
    async () => {
      const client = new Client(app!.url)
      await client.login('demo@cabinet-dupont.fr')
      expect((await client.get('/api/dossiers')).status).toBe(200)
      expect((await client.get('/api/dossiers')).status).toBe(200)
      expect((await client.get('/api/health')).status).toBe(200)
      const busy = await executed()
      expect(total(busy)).toBeGreaterThan(5)

      // An anonymous page makes no Redis call: its proxy only saves what is pending, once a second at most.
      // Asked again until all is saved (a polled condition, not a sleep).
      const anonymous = new Client(app!.url)
      await vi.waitFor(
        async () => {
          expect((await anonymous.get('/login')).status).toBe(200)
          expect(await saved()).toBe(total(await executed()))
        },
        { timeout: 20_000, interval: 100 },
      )
      const flushed = await executed()
      expect(flushed.hincrby).toBeGreaterThanOrEqual(1)
      // Nothing but the saving was added since the busy part, one HINCRBY per flush.
      expect(total(flushed) - total(busy)).toBe(flushed.hincrby! - (busy.hincrby ?? 0))

      // Idle: nothing pending, nothing sent.
      for (let i = 0; i < 5; i++) expect((await anonymous.get('/login')).status).toBe(200)
      expect(await executed()).toEqual(flushed)
    },
  )
})
