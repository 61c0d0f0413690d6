/**
 * Échéances and their reminders, end to end on real components: SQLite file (migrations applied), a
 * private redis-server behind the local endpoint, 'email-queue' drained by the real worker loop, and a
 * real SMTP server receiving the e-mails. Offsets of a few seconds (the first one fires 2-3 s after the
 * deadline is written, room for a loaded machine); every wait is on an event (a handled job, a received
 * message), never a sleep.
 */
import { EventEmitter } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createPrismaClient } from '@/lib/core/prisma'
import { parseReminderEarlyWindow, parseReminderOffsets } from '@/lib/mail/reminder-offsets'
import { parisDateKey, parisLocalToInstant } from '@/lib/core/paris-time'
import { createReminders } from '@/lib/mail/reminders'
import { createDeadlineService, type DeadlineContext } from '@/lib/deadlines/service'
import { parseMailConfig } from '@/lib/mail/config'
import { createEmailHandler, runEmailWorker } from '@/lib/mail/drain'
import type { EmailJobHandler, EmailOutcome } from '@/lib/mail/handler'
import { EMAIL_QUEUE } from '@/lib/mail/jobs'
import { createOutbox } from '@/lib/mail/outbox'
import { createSmtpMailer } from '@/lib/mail/transport'
import { createQueue, processNext } from '@/lib/upstash'
import { tempDatabase } from '../../testing/database'
import { billedCommands } from '../../testing/redis-direct'
import { startTestSmtp, type TestSmtp } from '../support/smtp'
import { startStack, type Stack } from '../../testing/stack'
import { stackContext, unreachableContext } from '../support/redis'

const db = tempDatabase('deadlines')
const prisma = createPrismaClient(db.url)
let stack: Stack
let smtp: TestSmtp
const ORIGIN = 'https://app.example.fr'

interface Cabinet {
  id: string
  dossierId: string
  reference: string
  users: Record<string, { id: string; email: string }>
}
let A: Cabinet
let B: Cabinet

async function cabinet(
  name: string,
  prefix: string,
  users: { key: string; role: 'ADMIN' | 'AVOCAT' | 'ASSISTANT'; active?: boolean }[],
): Promise<Cabinet> {
  const t = await prisma.tenant.create({ data: { name, referencePrefix: prefix } })
  const reference = `${prefix}-2026-001`
  const d = await prisma.dossier.create({
    data: { tenantId: t.id, reference, title: `Bail commercial ${name}`, clientName: 'SCI Test' },
  })
  const out: Cabinet['users'] = {}
  for (const u of users) {
    const email = `${u.key}@${prefix.toLowerCase()}.example.fr`
    const row = await prisma.user.create({
      data: {
        tenantId: t.id,
        email,
        name: `Maître ${u.key}`,
        passwordHash: 'x',
        role: u.role,
        active: u.active ?? true,
      },
    })
    out[u.key] = { id: row.id, email }
  }
  return { id: t.id, dossierId: d.id, reference, users: out }
}

/**
 * Everything wired on one queue prefix, with the given REMINDER_OFFSETS (and REMINDER_EARLY_WINDOW), for the test
 * that calls it: its worker is stopped and its mailer closed once that test has finished, passed or failed.
 */
function wire(offsets: string, earlyWindow = '0') {
  const queue = createQueue(stackContext(stack.env, 'dl'))
  const outbox = createOutbox({ queue, retry: { maxAttempts: 3, backoffMs: 100 } })
  const reminders = createReminders({
    prisma,
    outbox,
    offsets: () => parseReminderOffsets(offsets),
    earlyMs: () => parseReminderEarlyWindow(earlyWindow),
  })
  const service = createDeadlineService({ prisma, reminders })
  const mailer = createSmtpMailer(
    parseMailConfig({ SMTP_URL: smtp.url, MAIL_FROM: 'IA Poste Manager <no-reply@example.fr>', APP_ORIGIN: ORIGIN }),
  )
  const handler = createEmailHandler({ prisma, mailer, config: () => parseMailConfig({ APP_ORIGIN: ORIGIN }) })
  // Every handled job, for waiting on outcomes (sent or dropped).
  const events = new EventEmitter()
  const outcomes: EmailOutcome[] = []
  const recording: EmailJobHandler = async (data, job) => {
    const o = await handler(data, job)
    outcomes.push(o)
    events.emit('outcome')
    return o
  }
  const stop = new AbortController()
  const worker = runEmailWorker({ queue, handler: recording, signal: stop.signal, minIdleMs: 25, maxIdleMs: 100 })
  onTestFinished(async () => {
    stop.abort()
    await worker
    mailer.close()
  })
  return {
    queue,
    service,
    reminders,
    outcomes,
    /** Resolves once `n` jobs have been handled (the guard timeout only turns a hang into a message). */
    handled(n: number, timeoutMs = 25_000): Promise<EmailOutcome[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (outcomes.length < n) return false
          clearTimeout(timer)
          events.off('outcome', check)
          resolve([...outcomes])
          return true
        }
        const timer = setTimeout(
          () => reject(new Error(`handled ${outcomes.length} of ${n} jobs: ${JSON.stringify(outcomes)}`)),
          timeoutMs,
        )
        if (!check()) events.on('outcome', check)
      })
    },
  }
}

const ctxOf = (c: Cabinet, user = 'admin'): DeadlineContext => ({ cabinetId: c.id, userId: c.users[user]!.id })
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString()

beforeAll(async () => {
  stack = await startStack()
  smtp = await startTestSmtp()
  A = await cabinet('Cabinet Alpha', 'ALP', [
    { key: 'admin', role: 'ADMIN' },
    { key: 'avocat', role: 'AVOCAT' },
    { key: 'assistant', role: 'ASSISTANT' },
    { key: 'ancien', role: 'AVOCAT', active: false },
  ])
  B = await cabinet('Cabinet Beta', 'BET', [{ key: 'admin', role: 'ADMIN' }])
})
afterAll(async () => {
  await smtp?.stop()
  await stack?.stop()
  await prisma.$disconnect()
  db.remove()
})

describe('reminders', () => {
  it('one e-mail per offset and recipient (active ADMIN and AVOCAT only), in French, with the dossier link; the other cabinet receives nothing', async () => {
    const w = wire('6s,3s')
    const before = smtp.messages().length
    const d = await w.service.create(ctxOf(A), A.dossierId, {
      title: 'Audience de conciliation <TGI>',
      dueAt: inSeconds(8),
      kind: 'audience',
    })
    expect(d).toMatchObject({
      status: 'confirmed',
      source: 'manual',
      kind: 'audience',
      kindLabel: 'Audience',
      done: false,
    })
    const outcomes = await w.handled(4)
    expect(outcomes.every((o) => o.status === 'sent')).toBe(true)
    const mails = smtp.messages().slice(before)
    expect(mails.map((m) => m.to.join()).sort()).toEqual(
      [A.users.admin!.email, A.users.admin!.email, A.users.avocat!.email, A.users.avocat!.email].sort(),
    )
    for (const m of mails) {
      expect(m.subject).toContain('Rappel : audience « Audience de conciliation <TGI> »')
      expect(m.text).toContain(`Dossier : ${A.reference} · Bail commercial Cabinet Alpha`)
      expect(m.text).toContain(`${ORIGIN}/dossiers/${A.dossierId}`)
      expect(m.text).toMatch(/Date : \p{L}+ \d{1,2} \p{L}+ \d{4} à \d{2}:\d{2} \(heure de Paris\)/u)
      expect(m.html).toContain('Audience de conciliation &lt;TGI&gt;')
    }
    expect(mails.filter((m) => m.text.includes('Rappel à 6 secondes'))).toHaveLength(2)
    expect(mails.filter((m) => m.text.includes('Rappel à 3 secondes'))).toHaveLength(2)
    // Nothing else is coming: no job left, delayed or otherwise.
    expect(await w.queue.stats(EMAIL_QUEUE)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
    expect(smtp.to(B.users.admin!.email)).toHaveLength(0)
    expect(smtp.to(A.users.assistant!.email)).toHaveLength(0)
    expect(smtp.to(A.users.ancien!.email)).toHaveLength(0)
  })

  it('moving a deadline replaces its reminder: the old one is dropped at send time, the new one sent once', async () => {
    const w = wire('5s')
    const before = smtp.messages().length
    const d = await w.service.create(ctxOf(A), A.dossierId, {
      title: 'Dépôt des conclusions',
      dueAt: inSeconds(8),
      kind: 'delai_procedure',
    })
    const moved = await w.service.update(ctxOf(A, 'avocat'), d.id, { dueAt: inSeconds(11) })
    expect(moved.dueAt).not.toBe(d.dueAt)
    const outcomes = await w.handled(4)
    expect(outcomes.filter((o) => o.status === 'dropped').map((o) => (o as { reason: string }).reason)).toEqual([
      'moved',
      'moved',
    ])
    const mails = smtp.messages().slice(before)
    expect(mails.map((m) => m.to.join()).sort()).toEqual([A.users.admin!.email, A.users.avocat!.email].sort())
    expect(await w.queue.stats(EMAIL_QUEUE)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })

  it('completing or deleting a deadline cancels its reminders: nothing is sent', async () => {
    const w = wire('3s')
    const before = smtp.messages().length
    const d1 = await w.service.create(ctxOf(A), A.dossierId, {
      title: 'Délai d’appel',
      dueAt: inSeconds(6),
      kind: 'delai_procedure',
    })
    const d2 = await w.service.create(ctxOf(A), A.dossierId, {
      title: 'Rendez-vous client',
      dueAt: inSeconds(6),
      kind: 'rendez_vous',
    })
    expect((await w.service.update(ctxOf(A), d1.id, { done: true })).done).toBe(true)
    await w.service.remove(ctxOf(A), d2.id)
    const outcomes = await w.handled(4)
    expect(outcomes.map((o) => (o as { reason?: string }).reason).sort()).toEqual([
      'deadline-gone',
      'deadline-gone',
      'done',
      'done',
    ])
    expect(smtp.messages().slice(before)).toHaveLength(0)
    expect(await w.queue.stats(EMAIL_QUEUE)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })

  it('offsets already past are skipped; an offset beyond the queue’s reach stays pending for the reconciliation', async () => {
    const w = wire('7d,1d')
    const soon = await w.service.create(ctxOf(B), B.dossierId, {
      title: 'Dans deux jours',
      dueAt: inSeconds(2 * 86_400),
    })
    expect(await w.queue.stats(EMAIL_QUEUE)).toMatchObject({ delayed: 1, waiting: 0 }) // 1d only, to B's one admin
    await w.service.create(ctxOf(B), B.dossierId, { title: 'Dans une heure', dueAt: inSeconds(3600) })
    const far = await w.service.create(ctxOf(B), B.dossierId, {
      title: 'Prescription lointaine',
      dueAt: inSeconds(400 * 86_400),
      kind: 'prescription',
    })
    expect(await w.queue.stats(EMAIL_QUEUE)).toMatchObject({ delayed: 1, waiting: 0 })
    const pending = async (id: string) => (await prisma.deadline.findUniqueOrThrow({ where: { id } })).remindersPending
    expect([await pending(soon.id), await pending(far.id)]).toEqual([false, true])
    // Not in reach yet: the reconciliation pushes nothing (a database query, no Redis command) and it stays pending.
    expect(await w.reminders.reconcileReminders()).toBe(0)
    expect(await pending(far.id)).toBe(true)
  })

  it('a deadline saved while Redis is unreachable keeps its reminders pending; the reconciliation queues them', async () => {
    const w = wire('1d')
    const down = unreachableContext('dldown')
    const offline = createDeadlineService({
      prisma,
      reminders: createReminders({
        prisma,
        outbox: createOutbox({ queue: createQueue(down) }),
        offsets: () => parseReminderOffsets('1d'),
      }),
    })
    const d = await offline.create(ctxOf(B), B.dossierId, {
      title: 'Saisie pendant la panne',
      dueAt: inSeconds(3 * 86_400),
    })
    expect((await prisma.deadline.findUniqueOrThrow({ where: { id: d.id } })).remindersPending).toBe(true)
    expect(await w.reminders.reconcileReminders()).toBeGreaterThanOrEqual(1)
    expect((await prisma.deadline.findUniqueOrThrow({ where: { id: d.id } })).remindersPending).toBe(false)
    expect(await w.queue.stats(EMAIL_QUEUE)).toMatchObject({ delayed: 1 })
    expect(await w.reminders.reconcileReminders()).toBe(0)
  })

  it('REMINDER_EARLY_WINDOW makes a reminder due that much sooner: a daily cron sends it on the run before its time', async () => {
    // Due in 30 h: its "1d" reminder's time is in 6 h.
    const onTime = wire('1d')
    await onTime.service.create(ctxOf(B), B.dossierId, { title: 'Sans avance', dueAt: inSeconds(30 * 3600) })
    expect(await onTime.queue.stats(EMAIL_QUEUE)).toMatchObject({ delayed: 1, waiting: 0 })

    const early = wire('1d', '24h')
    const before = smtp.to(B.users.admin!.email).length
    await early.service.create(ctxOf(B), B.dossierId, { title: 'Avec avance', dueAt: inSeconds(30 * 3600) })
    // Within the window: due at once, and sent now rather than in 6 h.
    expect((await early.handled(1)).map((o) => o.status)).toEqual(['sent'])
    const sent = smtp.to(B.users.admin!.email).slice(before)
    expect(sent.map((m) => m.subject)).toEqual([expect.stringContaining('« Avec avance »')])
    expect(sent[0]!.text).toContain('Rappel à 1 jour')
    // Its time two days away: one day early is still a day away, so it waits.
    await early.service.create(ctxOf(B), B.dossierId, { title: 'Plus loin', dueAt: inSeconds(3 * 86_400) })
    expect(await early.queue.stats(EMAIL_QUEUE)).toMatchObject({ delayed: 1, waiting: 0 })
  })

  it('a misconfigured REMINDER_OFFSETS or REMINDER_EARLY_WINDOW refuses the write, naming the variable, before anything is saved', async () => {
    const count = await prisma.deadline.count()
    for (const [reminders, error] of [
      [
        createReminders({ prisma, offsets: () => parseReminderOffsets('7 jours') }),
        /REMINDER_OFFSETS must be durations/,
      ],
      [
        createReminders({ prisma, earlyMs: () => parseReminderEarlyWindow('demain') }),
        /REMINDER_EARLY_WINDOW must be 0 or one duration/,
      ],
      [createReminders({ prisma, earlyMs: () => parseReminderEarlyWindow('8d') }), /at most 7d/],
    ] as const) {
      const bad = createDeadlineService({ prisma, reminders })
      await expect(bad.create(ctxOf(B), B.dossierId, { title: 'x', dueAt: inSeconds(86_400) })).rejects.toThrow(error)
    }
    expect(await prisma.deadline.count()).toBe(count)
  })
})

describe('deadlines service', () => {
  it('another cabinet’s dossier or deadline is not found, whatever the operation, and never listed', async () => {
    const w = wire('7d')
    const d = await w.service.create(ctxOf(A), A.dossierId, {
      title: 'Audience',
      dueAt: '2030-01-15T14:00',
      kind: 'audience',
    })
    expect(d.dueAt).toBe('2030-01-15T13:00:00.000Z')
    expect(d.dueAtLabel).toBe('mardi 15 janvier 2030 à 14:00')
    const other = ctxOf(B)
    await expect(w.service.create(other, A.dossierId, { title: 'x', dueAt: '2030-01-01' })).rejects.toMatchObject({
      status: 404,
    })
    await expect(w.service.listForDossier(other, A.dossierId)).rejects.toMatchObject({ status: 404 })
    await expect(w.service.update(other, d.id, { title: 'piraté' })).rejects.toMatchObject({ status: 404 })
    await expect(w.service.remove(other, d.id)).rejects.toMatchObject({ status: 404 })
    await expect(w.service.confirm(other, d.id)).rejects.toMatchObject({ status: 404 })
    await expect(w.service.dismiss(other, d.id)).rejects.toMatchObject({ status: 404 })
    await expect(w.service.proposeFromAnalysis(other, A.dossierId, [])).rejects.toMatchObject({ status: 404 })
    expect((await w.service.list(other, { includeDone: 'true' })).some((x) => x.id === d.id)).toBe(false)
    expect((await w.service.list(ctxOf(A))).some((x) => x.id === d.id)).toBe(true)
    await expect(w.service.create(ctxOf(A), A.dossierId, { title: '', dueAt: 'demain' })).rejects.toThrow(
      /deadline\.title: title must not be empty[\s\S]*deadline\.dueAt: dueAt must be/,
    )
  })

  it('lists soonest first within from/to, bounded', async () => {
    const w = wire('7d')
    const c = await cabinet('Cabinet Gamma', 'GAM', [{ key: 'admin', role: 'ADMIN' }])
    for (const [title, due] of [
      ['C', '2031-03-03T10:00'],
      ['A', '2031-01-01T10:00'],
      ['B', '2031-02-02T10:00'],
      ['D', '2031-04-04T10:00'],
    ] as const) {
      await w.service.create(ctxOf(c), c.dossierId, { title, dueAt: due })
    }
    expect((await w.service.list(ctxOf(c))).map((d) => d.title)).toEqual(['A', 'B', 'C', 'D'])
    expect((await w.service.list(ctxOf(c), { from: '2031-02-01', to: '2031-03-31' })).map((d) => d.title)).toEqual([
      'B',
      'C',
    ])
    expect((await w.service.list(ctxOf(c), { limit: '2' })).map((d) => d.title)).toEqual(['A', 'B'])
    await expect(w.service.list(ctxOf(c), { limit: '5000' })).rejects.toMatchObject({ status: 400 })
    await expect(w.service.list(ctxOf(c), { from: '2031-05-01', to: '2031-01-01' })).rejects.toMatchObject({
      status: 400,
    })
  })

  it('the analysis proposes future dates once (idempotent, dismissed ones never again); confirming schedules reminders', async () => {
    const w = wire('1d')
    const c = await cabinet('Cabinet Delta', 'DEL', [
      { key: 'admin', role: 'ADMIN' },
      { key: 'avocat', role: 'AVOCAT' },
    ])
    const day = (days: number) => parisDateKey(new Date(Date.now() + days * 86_400_000))
    const nineOn = (key: string) => {
      const [year, month, day] = key.split('-').map(Number) as [number, number, number]
      return parisLocalToInstant({ year, month, day, hour: 9 }).toISOString()
    }
    const found = [
      { date: day(30), context: 'Audience de conciliation prévue dans un mois' },
      { date: day(90), context: 'Prescription acquise dans trois mois' },
      { date: '2020-01-01', context: 'Contrat signé le 1er janvier 2020' },
    ]
    const first = await w.service.proposeFromAnalysis({ cabinetId: c.id }, c.dossierId, found)
    expect(first.map((d) => [d.kind, d.status, d.source, d.dueAt, d.title])).toEqual([
      ['audience', 'proposed', 'analysis', nineOn(day(30)), 'Audience de conciliation prévue dans un mois'],
      ['prescription', 'proposed', 'analysis', nineOn(day(90)), 'Prescription acquise dans trois mois'],
    ])
    expect(await w.service.proposeFromAnalysis({ cabinetId: c.id }, c.dossierId, found)).toEqual([])
    expect(await w.queue.stats(EMAIL_QUEUE)).toMatchObject({ delayed: 0 }) // proposals: no reminder
    const confirmed = await w.service.confirm(ctxOf(c), first[0]!.id)
    expect(confirmed.status).toBe('confirmed')
    expect(await w.queue.stats(EMAIL_QUEUE)).toMatchObject({ delayed: 2 }) // 1d × admin + avocat
    await w.service.confirm(ctxOf(c), first[0]!.id) // again: nothing new
    expect(await w.queue.stats(EMAIL_QUEUE)).toMatchObject({ delayed: 2 })
    await expect(w.service.dismiss(ctxOf(c), first[0]!.id)).rejects.toMatchObject({ status: 409 })
    expect((await w.service.dismiss(ctxOf(c), first[1]!.id)).status).toBe('dismissed')
    expect(await w.service.proposeFromAnalysis({ cabinetId: c.id }, c.dossierId, found)).toEqual([])
    expect((await w.service.listForDossier(ctxOf(c), c.dossierId)).map((d) => d.id)).toEqual([first[0]!.id])
    // A newcomer (accepted invitation) gets the pending reminders of the cabinet.
    const newcomer = await prisma.user.create({
      data: { tenantId: c.id, email: 'nouveau@del.example.fr', passwordHash: 'x', role: 'AVOCAT' },
    })
    expect(await w.reminders.scheduleForMember(c.id, newcomer.id)).toBe(1)
    expect(await w.queue.stats(EMAIL_QUEUE)).toMatchObject({ delayed: 3 })
  })
})

describe('cost (billed Upstash commands, counted on the server)', () => {
  it('a reminder e-mail costs 8: schedule 2 + send 6; delayed reminders cost nothing while they wait', async () => {
    const c = await cabinet('Cabinet Epsilon', 'EPS', [{ key: 'admin', role: 'ADMIN' }])
    const queue = createQueue(stackContext(stack.env, 'cost'))
    const outbox = createOutbox({ queue })
    const service = createDeadlineService({
      prisma,
      reminders: createReminders({ prisma, outbox, offsets: () => parseReminderOffsets('1s') }),
    })
    const mailer = createSmtpMailer(parseMailConfig({ SMTP_URL: smtp.url, APP_ORIGIN: ORIGIN }))
    const handler = createEmailHandler({ prisma, mailer })
    const run = () => processNext(queue, EMAIL_QUEUE, async (d, j) => void (await handler(d, j)))
    // Redis learns the queue's scripts on first use (one EVAL each): not part of a reminder's cost.
    await outbox.enqueue({
      template: 'password-reset',
      to: 'warm@eps.example.fr',
      subject: 's',
      name: '',
      sealedLink: 'x.y.z',
      expiresAt: 0,
    })
    await run()
    // 50 reminders waiting months ahead: an idle reserve still costs 1.
    for (let i = 0; i < 50; i++)
      await service.create(ctxOf(c), c.dossierId, { title: `Lointaine ${i}`, dueAt: inSeconds(200 * 86_400) })
    expect((await billedCommands(stack.env.REDIS_URL, () => run())).total).toBe(1)

    let deadlineId = ''
    const scheduled = await billedCommands(stack.env.REDIS_URL, async () => {
      deadlineId = (await service.create(ctxOf(c), c.dossierId, { title: 'Bientôt', dueAt: inSeconds(2.5) })).id
    })
    expect(scheduled.total, JSON.stringify(scheduled.byCommand)).toBe(2)
    // Due 1.5 s from now: poll (as the worker does) until it is taken; the empty polls are counted apart.
    let empties = 0
    const sent = await billedCommands(stack.env.REDIS_URL, async () => {
      for (;;) {
        const o = await run()
        if (o.status !== 'empty') return expect(o.status).toBe('acked')
        empties++
        await sleep(50) // the poll interval of this stand-in worker, not a synchronisation
      }
    })
    expect(sent.total - empties, JSON.stringify(sent.byCommand)).toBe(6)
    expect(smtp.to(c.users.admin!.email).filter((m) => m.subject.includes('Bientôt'))).toHaveLength(1)
    expect(deadlineId).not.toBe('')
    mailer.close()
  })
})
