/**
 * The production build served the way Vercel serves it: plain `next start` (no scripts/serve.ts in
 * front), VERCEL=1, only the Upstash integration's KV_REST_API_* names, and NO worker process.
 * Analyses run through after() and the cron route; the cron route's secret, cost and reconciliation;
 * an analysis proposes its future dates as deadlines; a deadline reminder is sent by the cron route to a
 * real SMTP server (tests/support/smtp.ts), exactly once per recipient.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createAppPipeline } from '@/lib/services/analyses'
import { parseReminderOffsets } from '@/lib/mail/reminder-offsets'
import { parisDateKey, parisLocalToInstant } from '@/lib/core/paris-time'
import { createReminders } from '@/lib/mail/reminders'
import { createDeadlineService } from '@/lib/deadlines/service'
import { EMAIL_QUEUE } from '@/lib/mail/jobs'
import { createOutbox } from '@/lib/mail/outbox'
import { createPrismaClient } from '@/lib/core/prisma'
import { createCabinetCache } from '@/lib/tenants/cabinet-cache'
import { createCache, createContext, createHashMap, createQueue } from '@/lib/upstash'
import { seedDemo } from '../../prisma/seed'
import { Client, startApp, type RunningApp } from '../../testing/app'
import { tempDatabase } from '../../testing/database'
import { usageKey } from '@/lib/usage/upstash-usage'
import { billedCommands, directClient } from '../../testing/redis-direct'
import { startTestSmtp, type TestSmtp } from '../support/smtp'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

const CRON_SECRET = 'test-cron-secret-0123456789abcdef'
const db = tempDatabase('serverless')
const prisma = createPrismaClient(db.url)
const prefix = uniquePrefix('vercel')
/** Reminders of the deadline test: this long before the deadline (a few seconds after it is written). */
const REMINDER_OFFSET = '27s'
let stack: Stack
let smtp: TestSmtp
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
    // A real SMTP server of this test (any SMTP relay in production), e-mail drained by after() and the cron route only.
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Cabinet Dupont <no-reply@cabinet-dupont.fr>',
    REMINDER_OFFSETS: REMINDER_OFFSET,
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
  // Deadlines written here (as a request on another instance would), their reminders on the app's queue.
  const deadlines = createDeadlineService({
    prisma,
    reminders: createReminders({
      prisma,
      outbox: createOutbox({ queue }),
      offsets: () => parseReminderOffsets(REMINDER_OFFSET),
    }),
  })
  return { queue, deadlines, pipeline: createAppPipeline({ prisma, queue, invalidate: cabinet.invalidate }) }
}

/** « 12 janvier 2027 » for a day `days` from now (Paris), and that day's key (yyyy-mm-dd). */
function frenchDay(days: number): { text: string; key: string } {
  const at = new Date(Date.now() + days * 86_400_000)
  const text = new Intl.DateTimeFormat('fr-FR', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'Europe/Paris',
  }).format(at)
  return { text, key: parisDateKey(at) }
}

/** Requests an analysis of `dossierId` as the logged-in user and waits (through the API) until it is DONE. */
async function analyseThroughAfter(dossierId: string) {
  expect((await dupont.post(`/api/dossiers/${dossierId}/analyze`)).status).toBe(202)
  return vi.waitFor(
    async () => {
      const body = await (await dupont.get(`/api/dossiers/${dossierId}/analysis`)).json()
      if (body.status !== 'DONE') throw new Error(`still ${body.status}; server log:\n${app.output()}`)
      return body
    },
    { timeout: 15_000, interval: 100 },
  )
}

const cron = (secret?: string, path: '/api/cron/analysis' | '/api/cron/drain' = '/api/cron/analysis') =>
  fetch(`${app.url}${path}`, { headers: secret === undefined ? {} : { authorization: `Bearer ${secret}` } })

beforeAll(async () => {
  stack = await startStack()
  smtp = await startTestSmtp()
  await seedDemo(db.url, () => {})
  app = await startApp(vercelEnv(stack), { via: 'next' })
  dupont = new Client(app.url)
  await dupont.login('demo@cabinet-dupont.fr')
}, 120_000)
afterAll(async () => {
  await app?.stop()
  await smtp?.stop()
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
        for (const path of ['/api/cron/analysis', '/api/cron/drain'] as const) {
          const res = await cron(secret, path)
          expect(res.status, `${path} secret ${JSON.stringify(secret)}`).toBe(401)
          expect(res.headers.get('www-authenticate')).toBe('Bearer')
          expect((await res.json()).error).toMatch(/CRON_SECRET/)
        }
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
      where: { tenantId: 'cabinet-dupont', reference: 'DUP-2026-005' },
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

  it('an analysis proposes the future dates it finds as deadlines (once; past dates never), with no worker', async () => {
    const hearing = frenchDay(60)
    const past = frenchDay(-30)
    const created = await dupont.post('/api/dossiers', {
      title: 'Rupture conventionnelle contestée',
      clientName: 'Mme Garnier',
      description: `Audience de jugement prévue le ${hearing.text} devant le conseil de prud'hommes. Mise en demeure envoyée le ${past.text}.`,
    })
    expect(created.status).toBe(201)
    const { id } = ((await created.json()) as { dossier: { id: string } }).dossier
    const done = await analyseThroughAfter(id)
    expect(JSON.stringify(done.result.keyDates)).toContain(hearing.key)
    expect(JSON.stringify(done.result.keyDates)).toContain(past.key)

    const proposed = await prisma.deadline.findMany({ where: { dossierId: id } })
    expect(proposed).toHaveLength(1)
    const [y, m, d] = hearing.key.split('-').map(Number) as [number, number, number]
    expect(proposed[0]).toMatchObject({
      tenantId: 'cabinet-dupont',
      source: 'analysis',
      status: 'proposed',
      kind: 'audience',
      done: false,
      // 09:00 Paris on that day; no reminder until a lawyer confirms it.
      dueAt: parisLocalToInstant({ year: y, month: m, day: d, hour: 9 }),
      remindersPending: false,
    })
    expect(proposed[0]!.title).toMatch(/Audience de jugement/)

    // Analysed again: nothing proposed twice.
    await analyseThroughAfter(id)
    expect(await prisma.deadline.count({ where: { dossierId: id } })).toBe(1)
  })

  it(
    'sends a deadline reminder due in a few seconds through the cron route, exactly once per recipient, to a real SMTP server',
    { timeout: 60_000 },
    async () => {
      const { deadlines, queue } = pipelineHere()
      const dossier = await prisma.dossier.findFirstOrThrow({
        where: { tenantId: 'cabinet-dupont', reference: 'DUP-2026-001' },
      })
      // Due in 30 s, reminded 27 s before: the reminder is due ~3 s from now, one per ADMIN and AVOCAT.
      const title = `Dépôt du mémoire ${Date.now()}`
      await deadlines.create({ cabinetId: 'cabinet-dupont', userId: 'x' }, dossier.id, {
        title,
        dueAt: new Date(Date.now() + 30_000).toISOString(),
        kind: 'delai_procedure',
      })
      const recipients = (
        await prisma.user.findMany({
          where: { tenantId: 'cabinet-dupont', active: true, role: { in: ['ADMIN', 'AVOCAT'] } },
          select: { email: true },
        })
      )
        .map((u) => u.email)
        .sort()
      expect(recipients).toEqual(['avocat@cabinet-dupont.fr', 'demo@cabinet-dupont.fr'])
      expect((await queue.stats(EMAIL_QUEUE)).delayed).toBe(2)
      const mine = (mail: { subject: string; text: string }) => mail.text.includes(title)

      // No worker, no after(): only the cron route sends it, once it is due. Each run reports its e-mail figures.
      let sent = 0
      await vi.waitFor(
        async () => {
          const res = await fetch(`${app.url}/api/cron/drain`, { headers: { authorization: `Bearer ${CRON_SECRET}` } })
          const body = await res.json()
          expect(res.status, JSON.stringify(body)).toBe(200)
          expect(body.emails).toMatchObject({ failed: 0, retried: 0, stoppedBy: 'empty' })
          sent += body.emails.sent
          if (sent < 2) throw new Error(`sent ${sent} of 2 so far: ${JSON.stringify(body)}`)
        },
        { timeout: 40_000, interval: 250 },
      )
      const mails = await smtp.waitFor(2, mine)
      expect(mails.flatMap((m) => m.to).sort()).toEqual(recipients)
      expect(mails[0]!.text).toContain('DUP-2026-001')
      expect(mails[0]!.text).toContain(`${app.url}/dossiers/${dossier.id}`) // APP_ORIGIN
      // Once: another run (the old name of the route, same handler) finds nothing to send.
      const again = await (await cron(CRON_SECRET)).json()
      expect(again.emails).toMatchObject({ processed: 0, sent: 0, stoppedBy: 'empty' })
      expect(again.reminders).toEqual({ queued: 0 })
      expect(smtp.messages().filter(mine)).toHaveLength(2)
      expect(await queue.stats(EMAIL_QUEUE)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
    },
  )

  it('costs at most 3 billed commands when idle, its usage-meter flush included (counted on the server)', async () => {
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
          reminders: { queued: 0 },
          emails: { processed: 0, sent: 0, stoppedBy: 'empty' },
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
      // One empty reserve (ZRANGE) per queue, analyses and e-mail, and the meter's HINCRBY: reconciling
      // analyses and reminders asks the database, which is free; reminders waiting for their time are never read.
      expect(rest, JSON.stringify(idle.byCommand)).toEqual({ zrange: 2, hincrby: 1 })
      expect(billed).toBeLessThanOrEqual(3)
      // And the meter says what the bill says.
      expect((await saved()) - before).toBe(billed)
      await direct.close()
    } finally {
      await fresh.stop()
    }
  })
})
