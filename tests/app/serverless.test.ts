/**
 * The production build served the way Vercel serves it: plain `next start` (no scripts/serve.ts in
 * front), VERCEL=1, only the Upstash integration's KV_REST_API_* names, and NO worker process.
 * Analyses run through after() and the cron route; the cron route's secret, cost and reconciliation.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createAIPipeline } from '@/lib/analyses/pipeline'
import { createPrismaClient } from '@/lib/prisma'
import { createCabinetCache } from '@/lib/tenants/cabinet-cache'
import { createCache, createContext, createHashMap, createQueue } from '@/lib/upstash'
import { seedDemo } from '../../prisma/seed'
import { Client, startApp, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { usageKey } from '@/lib/usage/upstash-usage'
import { billedCommands, directClient } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

const CRON_SECRET = 'test-cron-secret-0123456789abcdef'
const db = tempDatabase('serverless')
const prisma = createPrismaClient(db.url)
const prefix = uniquePrefix('vercel')
let stack: Stack
let app: RunningApp
let dupont: Client

/** The variables a Vercel project gets from the Marketplace integration, and no UPSTASH_* ones. */
function vercelEnv(stack: Stack) {
  return {
    VERCEL: '1',
    KV_REST_API_URL: stack.env.UPSTASH_REDIS_REST_URL,
    KV_REST_API_TOKEN: stack.env.UPSTASH_REDIS_REST_TOKEN,
    UPSTASH_REDIS_REST_URL: undefined,
    UPSTASH_REDIS_REST_TOKEN: undefined,
    REDIS_URL: undefined,
    DATABASE_URL: db.url,
    REDIS_KEY_PREFIX: prefix,
    CRON_SECRET,
    RATE_LIMIT_MAX: '100000',
    LOGIN_MAX_PER_ADDRESS: '100000',
  }
}

/** The app's own pipeline, from the test process: to queue or hold a job as another function would. */
function pipelineHere() {
  const ctx = createContext({
    ...process.env,
    UPSTASH_REDIS_REST_URL: stack.env.UPSTASH_REDIS_REST_URL,
    UPSTASH_REDIS_REST_TOKEN: stack.env.UPSTASH_REDIS_REST_TOKEN,
    REDIS_KEY_PREFIX: prefix,
  })
  const queue = createQueue(ctx)
  // The app's cached reads on the same Redis, so a request made here invalidates what the server shows.
  const cabinet = createCabinetCache({ prisma, cache: createCache(ctx), hashMap: createHashMap(ctx) })
  return { queue, pipeline: createAIPipeline({ prisma, queue, invalidate: cabinet.invalidate }) }
}

const cron = (secret?: string) =>
  fetch(`${app.url}/api/cron/analysis`, { headers: secret === undefined ? {} : { authorization: `Bearer ${secret}` } })

beforeAll(async () => {
  stack = await startStack()
  await seedDemo(db.url, () => {})
  app = await startApp(vercelEnv(stack), { via: 'next' })
  dupont = new Client(app.url)
  await dupont.login('demo@cabinet-dupont.fr')
}, 120_000)
afterAll(async () => {
  await app?.stop()
  await stack?.stop()
  await prisma.$disconnect()
  db.remove()
})

describe('Vercel-style: next start, VERCEL=1, KV_REST_API_* only, no worker', () => {
  it('runs a requested analysis to DONE through after(), with no worker anywhere', async () => {
    const created = await dupont.post('/api/dossiers', {
      title: 'Licenciement de M. Leroy',
      clientName: 'M. Leroy',
      description:
        "Audience de conciliation prévue le 12 janvier 2027 devant le conseil de prud'hommes. Indemnité réclamée : 15 000 €.",
    })
    expect(created.status).toBe(201)
    const { id } = ((await created.json()) as { dossier: { id: string } }).dossier
    const queued = await dupont.post(`/api/dossiers/${id}/analyze`)
    expect(queued.status).toBe(202)
    const done = await vi.waitFor(
      async () => {
        const body = await (await dupont.get(`/api/dossiers/${id}/analysis`)).json()
        if (body.status !== 'DONE') throw new Error(`still ${body.status}; server log:\n${app.output()}`)
        return body
      },
      { timeout: 15_000, interval: 100 },
    )
    expect(done).toMatchObject({ status: 'DONE', attempts: 1 })
    expect(JSON.stringify(done.result.keyDates)).toMatch(/2027/)
    // Nothing left waiting (the cabinet's own analyses, counted in the database).
    expect((await (await dupont.get('/api/queue')).json()).cabinet).toMatchObject({ waiting: 0, running: 0 })
    // And nothing behind in the shared Redis queue (platform figures: read here, not through a cabinet's API).
    expect((await pipelineHere().queue.stats('ai-analysis-queue')).waiting).toBe(0)
  })

  it('answers the cron route 401 without the secret or with a wrong one, at no Redis cost', async () => {
    const { total } = await billedCommands(stack.env.REDIS_URL, async () => {
      for (const secret of [
        undefined,
        '',
        'wrong-secret-0123456789abcdef',
        `${CRON_SECRET}x`,
        CRON_SECRET.slice(0, -1),
      ]) {
        const res = await cron(secret)
        expect(res.status, `secret ${JSON.stringify(secret)}`).toBe(401)
        expect(res.headers.get('www-authenticate')).toBe('Bearer')
        expect((await res.json()).error).toMatch(/CRON_SECRET/)
      }
      const basic = await fetch(`${app.url}/api/cron/analysis`, {
        headers: { authorization: `Basic ${Buffer.from(`x:${CRON_SECRET}`).toString('base64')}` },
      })
      expect(basic.status).toBe(401)
    })
    expect(total).toBe(0)
  })

  it('drains with the right secret: a job queued where no after() ran', async () => {
    const { pipeline } = pipelineHere()
    const dossier = await prisma.dossier.findFirstOrThrow({
      where: { tenantId: 'cabinet-dupont', reference: 'DUP-2026-003' },
    })
    const { jobId } = await pipeline.requestAnalysis('cabinet-dupont', dossier.id)
    const res = await cron(CRON_SECRET)
    expect(res.status).toBe(200)
    const body = await res.json()
    expect(body).toMatchObject({
      processed: 1,
      done: 1,
      retried: 0,
      failed: 0,
      remaining: 0,
      pending: 0,
      stoppedBy: 'empty',
    })
    expect(await prisma.analysis.findUniqueOrThrow({ where: { id: jobId } })).toMatchObject({
      status: 'DONE',
      attempts: 1,
    })
  })

  it('redelivers the job of a function killed mid-job, and completes it once', { timeout: 40_000 }, async () => {
    const { pipeline, queue } = pipelineHere()
    const dossier = await prisma.dossier.findFirstOrThrow({
      where: { tenantId: 'cabinet-dupont', reference: 'DUP-2026-004' },
    })
    const { jobId } = await pipeline.requestAnalysis('cabinet-dupont', dossier.id)
    // A function took the job and was killed before finishing: its lease is held, nobody acks it.
    // A lease long enough that the first cron run surely meets it held, even on a loaded machine.
    const held = await queue.reserve('ai-analysis-queue', { visibilityTimeoutMs: 3_000 })
    expect(held?.id).toBe(jobId)
    const before = await (await cron(CRON_SECRET)).json()
    expect(before).toMatchObject({ processed: 0, pending: 1 })
    // Once the dead function's lease has expired, the next cron run takes the job over.
    const after = await vi.waitFor(
      async () => {
        const body = await (await cron(CRON_SECRET)).json()
        if (body.processed !== 1) throw new Error(`not redelivered yet: ${JSON.stringify(body)}`)
        return body
      },
      { timeout: 20_000, interval: 250 },
    )
    expect(after).toMatchObject({ done: 1, pending: 0 })
    expect(await prisma.analysis.findUniqueOrThrow({ where: { id: jobId } })).toMatchObject({
      status: 'DONE',
      attempts: 2,
    })
    // The dead function's late ack finds nothing left to complete.
    expect(await queue.ack('ai-analysis-queue', held!)).toBe(false)
    expect(await prisma.analysis.count({ where: { dossierId: dossier.id, status: 'DONE' } })).toBe(1)
  })

  it('costs at most 2 billed commands when idle, its usage-meter flush included (counted on the server)', async () => {
    // A fresh instance, as a cron run often meets on serverless: it saves its first request's count at once.
    const fresh = await startApp(vercelEnv(stack), { via: 'next' })
    try {
      const direct = await directClient(stack.env.REDIS_URL)
      const day = new Date().toISOString().slice(0, 10)
      const saved = async () => Number((await direct.hGet(usageKey(prefix), day)) ?? 0)
      const before = await saved()
      let reads = 0
      const idle = await billedCommands(stack.env.REDIS_URL, async () => {
        const res = await fetch(`${fresh.url}/api/cron/analysis`, {
          headers: { authorization: `Bearer ${CRON_SECRET}` },
        })
        expect(await res.json()).toMatchObject({
          processed: 0,
          remaining: 0,
          pending: 0,
          stoppedBy: 'empty',
          reconciled: { stale: 0 },
        })
        // The flush runs after the response (after()): wait for the meter's own record of this run.
        await vi.waitFor(async () => {
          reads++
          expect(await saved()).toBeGreaterThan(before)
        })
      })
      const { hget = 0, ...rest } = idle.byCommand
      const billed = idle.total - reads
      expect(hget).toBe(reads)
      // The empty reserve (ZRANGE) and the meter's HINCRBY: the reconciliation asks the database, which is free.
      expect(rest, JSON.stringify(idle.byCommand)).toEqual({ zrange: 1, hincrby: 1 })
      expect(billed).toBeLessThanOrEqual(2)
      // And the meter says what the bill says.
      expect((await saved()) - before).toBe(billed)
      await direct.close()
    } finally {
      await fresh.stop()
    }
  })
})
