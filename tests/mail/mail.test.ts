/**
 * E-mail: configuration errors, French templates (escaped), the SMTP transport against a real SMTP
 * server (tests/support/smtp.ts), and 'email-queue' delivery: a transient SMTP refusal is retried, a
 * permanent one dead-lettered at once. Real redis-server + local endpoint (own stack), real SMTP.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listCaughtMail, storeCaughtMail } from '@/lib/mail/caught-mail'
import { startDevMailCatcher } from '@/lib/mail/catcher'
import { parseMailConfig } from '@/lib/mail/config'
import { createEmailHandler, drainEmails } from '@/lib/mail/drain'
import { EMAIL_QUEUE, type EmailJob } from '@/lib/mail/jobs'
import { createOutbox } from '@/lib/mail/outbox'
import { seal, unseal } from '@/lib/mail/seal'
import { escapeHtml, renderDeadlineReminder, renderInvitation, renderPasswordReset } from '@/lib/mail/templates'
import { classifySmtpError, createSmtpMailer } from '@/lib/mail/transport'
import { parseReminderOffsets } from '@/lib/mail/reminder-offsets'
import { dueAtSchema } from '@/lib/deadlines/schemas'
import { formatDateTimeFr, parisLocalToInstant } from '@/lib/core/paris-time'
import { createQueue, runWorker, type JobOutcome } from '@/lib/upstash'
import { startTestSmtp, type TestSmtp } from '../support/smtp'
import { startStack, type Stack } from '../../testing/stack'
import { stackContext } from '../support/redis'

const SECRET = 'test-seal-secret-0123456789abcdef0123456789'

describe('configuration', () => {
  it('names SMTP_URL without printing its password, and requires MAIL_FROM / APP_ORIGIN in production', () => {
    expect(() => parseMailConfig({ SMTP_URL: 'http://user:s3cr3t-pw@mail.example.fr' })).toThrow(
      /SMTP_URL must start with smtp:\/\/ or smtps:\/\//,
    )
    try {
      parseMailConfig({ SMTP_URL: 'not a url s3cr3t-pw' })
      expect.unreachable()
    } catch (err) {
      expect((err as Error).message).toMatch(/SMTP_URL must be a URL/)
      expect((err as Error).message).not.toContain('s3cr3t-pw')
    }
    expect(() => parseMailConfig({ NODE_ENV: 'production', SMTP_URL: 'smtp://mail.example.fr' })).toThrow(
      /MAIL_FROM is required in production[\s\S]*APP_ORIGIN is required/,
    )
    expect(() => parseMailConfig({ NODE_ENV: 'production', MAIL_FROM: 'a@b.fr', APP_ORIGIN: 'https://a.fr' })).toThrow(
      /SMTP_URL is required in production/,
    )
    expect(() => parseMailConfig({ MAIL_FROM: 'pas une adresse' })).toThrow(/MAIL_FROM must be an address/)
    const ok = parseMailConfig({
      SMTP_URL: 'smtps://bob:s3cr3t-pw@mail.example.fr:465',
      MAIL_FROM: 'Cabinet <no-reply@cabinet.fr>',
      APP_ORIGIN: 'https://app.cabinet.fr/x',
    })
    expect(ok).toMatchObject({
      smtpDisplay: 'smtps://mail.example.fr:465',
      from: 'Cabinet <no-reply@cabinet.fr>',
      appOrigin: 'https://app.cabinet.fr',
    })
    expect(
      JSON.stringify(
        classifySmtpError(new Error('connect failed to smtps://bob:s3cr3t-pw@mail.example.fr:465'), ok.smtpUrl),
      ),
    ).not.toContain('s3cr3t-pw')
  })

  it('REMINDER_OFFSETS: units s/m/h/d, default 7d,1d, a clear error naming the variable', () => {
    expect(parseReminderOffsets(undefined).map((o) => o.label)).toEqual(['7d', '1d'])
    expect(parseReminderOffsets('1d, 30m,2h,1d').map((o) => [o.label, o.ms])).toEqual([
      ['1d', 86_400_000],
      ['2h', 7_200_000],
      ['30m', 1_800_000],
    ])
    expect(() => parseReminderOffsets('7d,demain')).toThrow(
      /REMINDER_OFFSETS must be durations[\s\S]*"demain" is not one/,
    )
    expect(() => parseReminderOffsets('400d')).toThrow(/REMINDER_OFFSETS/)
    expect(() => parseReminderOffsets('0s')).toThrow(/REMINDER_OFFSETS/)
  })

  it('dueAt: ISO with an offset, or Europe/Paris wall-clock time (winter and summer), impossible dates refused', () => {
    expect(dueAtSchema.parse('2027-01-12T09:30').toISOString()).toBe('2027-01-12T08:30:00.000Z')
    expect(dueAtSchema.parse('2027-07-12T09:30').toISOString()).toBe('2027-07-12T07:30:00.000Z')
    expect(dueAtSchema.parse('2027-07-12').toISOString()).toBe('2027-07-12T07:00:00.000Z')
    expect(dueAtSchema.parse('2027-01-12T09:30:00+01:00').toISOString()).toBe('2027-01-12T08:30:00.000Z')
    expect(dueAtSchema.parse('2027-01-12T08:30:00Z').toISOString()).toBe('2027-01-12T08:30:00.000Z')
    expect(dueAtSchema.safeParse('2027-02-31T09:00').success).toBe(false)
    expect(dueAtSchema.safeParse('12/01/2027').error?.issues[0]?.message).toMatch(/^dueAt must be/)
    // The autumn change: 02:30 happens twice; the first is taken. The spring gap: 02:30 does not exist.
    expect(parisLocalToInstant({ year: 2027, month: 10, day: 31, hour: 2, minute: 30 }).toISOString()).toBe(
      '2027-10-31T00:30:00.000Z',
    )
    expect(parisLocalToInstant({ year: 2027, month: 3, day: 28, hour: 2, minute: 30 }).toISOString()).toBe(
      '2027-03-28T01:30:00.000Z',
    )
    expect(formatDateTimeFr(new Date('2027-01-12T08:30:00Z'))).toBe('mardi 12 janvier 2027 à 09:30')
  })
})

describe('templates', () => {
  const hostile = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'
  it('escape every user value in the HTML part and keep the French text', () => {
    const r = renderDeadlineReminder({
      recipientName: hostile,
      cabinetName: hostile,
      dossier: { reference: 'DUP-2026-001', title: hostile },
      deadline: { title: hostile, kind: 'audience', dueAt: new Date('2027-01-12T08:30:00Z') },
      offsetText: '7 jours',
      dossierUrl: 'https://app.example.fr/dossiers/abc?x="1"',
    })
    for (const html of [
      r.html,
      renderInvitation({
        cabinetName: hostile,
        inviterName: hostile,
        role: 'AVOCAT',
        link: 'https://a/?t=1',
        expiresAt: new Date(),
      }).html,
      renderPasswordReset({ name: hostile, link: 'https://a/?t=1', expiresAt: new Date() }).html,
    ]) {
      expect(html).not.toContain('<script>')
      expect(html).not.toContain('<img')
      expect(html).toContain(escapeHtml('<script>alert("x")</script>'))
    }
    expect(r.html).toContain('href="https://app.example.fr/dossiers/abc?x=&quot;1&quot;"')
    expect(r.text).toContain('Date : mardi 12 janvier 2027 à 09:30 (heure de Paris)')
    expect(r.text).toContain('Dossier : DUP-2026-001')
    expect(r.subject).toContain('Rappel : audience')
    expect(r.subject).not.toMatch(/[\r\n]/)
  })

  it('sealed links open with the same secret only', () => {
    const s = seal('https://app/invitation?token=abc', SECRET)
    expect(s).not.toContain('token=abc')
    expect(unseal(s, SECRET)).toBe('https://app/invitation?token=abc')
    expect(() => unseal(s, `${SECRET}-other`)).toThrow(/cannot be opened/)
  })
})

describe('dev catcher store', () => {
  it('keeps the newest N messages in its file, newest first', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'caught-'))
    const file = path.join(dir, 'caught.json')
    try {
      for (let i = 0; i < 5; i++)
        storeCaughtMail(
          {
            id: String(i),
            receivedAt: new Date().toISOString(),
            from: 'a@b.fr',
            to: ['c@d.fr'],
            subject: `n${i}`,
            text: '',
            html: null,
          },
          3,
          file,
        )
      expect(listCaughtMail(file).map((m) => m.subject)).toEqual(['n4', 'n3', 'n2'])
      expect(listCaughtMail(path.join(dir, 'absent.json'))).toEqual([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('dev mail catcher', () => {
  it('starts only when SMTP_URL is unset outside production, points SMTP_URL at itself, and keeps what it catches for listCaughtMail', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'catcher-'))
    const file = path.join(dir, 'caught.json')
    try {
      const prod: Record<string, string | undefined> = { NODE_ENV: 'production' }
      await (
        await startDevMailCatcher(prod, { file })
      )()
      expect(prod.SMTP_URL).toBeUndefined()
      const configured: Record<string, string | undefined> = { SMTP_URL: 'smtp://mail.example.fr:587' }
      await (
        await startDevMailCatcher(configured, { file })
      )()
      expect(configured.SMTP_URL).toBe('smtp://mail.example.fr:587')

      const env: Record<string, string | undefined> = { NODE_ENV: 'development', MAIL_CATCHER_KEEP: '2' }
      const stop = await startDevMailCatcher(env, { file })
      expect(env.SMTP_URL).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/)
      const mailer = createSmtpMailer(parseMailConfig(env))
      for (const n of [1, 2, 3])
        await mailer.send({ to: 'dev@cabinet.fr', subject: `Essai ${n} é`, text: 'Bonjour', html: '<p>Bonjour</p>' })
      mailer.close()
      await stop()
      expect(listCaughtMail(file).map((m) => [m.subject, m.to, m.html])).toEqual([
        ['Essai 3 é', ['dev@cabinet.fr'], '<p>Bonjour</p>'],
        ['Essai 2 é', ['dev@cabinet.fr'], '<p>Bonjour</p>'],
      ])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('delivery through email-queue (real SMTP server)', () => {
  let stack: Stack
  let smtp: TestSmtp
  beforeAll(async () => {
    stack = await startStack()
    smtp = await startTestSmtp()
  })
  afterAll(async () => {
    await smtp?.stop()
    await stack?.stop()
  })

  function setup() {
    const queue = createQueue(stackContext(stack.env, 'mail'))
    const outbox = createOutbox({ queue, retry: { maxAttempts: 3, backoffMs: 100 } })
    const mailer = createSmtpMailer(
      parseMailConfig({
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Cabinet Test <no-reply@cabinet-test.fr>',
        APP_ORIGIN: 'https://app.example.fr',
      }),
    )
    // No database needed for these templates.
    const handler = createEmailHandler({
      prisma: {} as never,
      mailer,
      sealSecret: () => SECRET,
      config: () => parseMailConfig({ APP_ORIGIN: 'https://app.example.fr' }),
    })
    return { queue, outbox, mailer, handler }
  }

  const resetJob = (to: string): EmailJob => ({
    template: 'password-reset',
    to,
    subject: 'Réinitialisation de votre mot de passe IA Poste Manager',
    name: 'Maître Test',
    sealedLink: seal('https://app.example.fr/mot-de-passe/nouveau?token=t', SECRET),
    expiresAt: Date.now() + 3600_000,
  })

  it('the guide’s shape `{ to, subject, template }` goes out through SMTP, in text and HTML', async () => {
    const { outbox, mailer, handler, queue } = setup()
    await outbox.enqueue({
      template: 'welcome',
      to: 'nouvelle@cabinet-test.fr',
      subject: 'Invitation à rejoindre Cabinet Test sur IA Poste Manager',
      tenantId: 'cab1',
      cabinetName: 'Cabinet Test',
      inviterName: 'Maître Admin',
      role: 'AVOCAT',
      sealedLink: seal('https://app.example.fr/invitation?token=abc', SECRET),
      expiresAt: Date.now() + 7 * 86_400_000,
    })
    const r = await drainEmails({ deadlineMs: 10_000, queue, handler })
    expect(r).toMatchObject({ processed: 1, sent: 1, stoppedBy: 'empty' })
    const [m] = await smtp.waitFor(1, (x) => x.to.includes('nouvelle@cabinet-test.fr'))
    expect(m!.subject).toBe('Invitation à rejoindre Cabinet Test sur IA Poste Manager')
    expect(m!.from).toContain('no-reply@cabinet-test.fr')
    expect(m!.text).toContain('https://app.example.fr/invitation?token=abc')
    expect(m!.html).toContain('Accepter l’invitation')
    mailer.close()
  })

  it('a transient SMTP refusal (4xx) is retried through the queue and then delivered once', async () => {
    const { outbox, mailer, handler, queue } = setup()
    smtp.refuse('busy@cabinet-test.fr', 451, 1)
    await outbox.enqueue(resetJob('busy@cabinet-test.fr'))
    const outcomes: JobOutcome<unknown>['status'][] = []
    const stop = new AbortController()
    const delivered = smtp.waitFor(1, (m) => m.to.includes('busy@cabinet-test.fr'))
    const worker = runWorker(queue, EMAIL_QUEUE, async (d, j) => void (await handler(d, j)), {
      signal: stop.signal,
      minIdleMs: 20,
      maxIdleMs: 50,
      onOutcome: (o) => {
        outcomes.push(o.status)
        if (process.env.DEBUG_MAIL) console.log(o.status, (o as { error?: unknown }).error)
        if (o.status === 'acked') stop.abort()
      },
    })
    await delivered
    await worker
    expect(smtp.refusals('busy@cabinet-test.fr')).toBe(1)
    expect(outcomes.filter((s) => s !== 'empty')).toEqual(['retry', 'acked'])
    expect(smtp.to('busy@cabinet-test.fr')).toHaveLength(1)
    expect(await queue.stats(EMAIL_QUEUE)).toMatchObject({ waiting: 0, delayed: 0, inFlight: 0, dead: 0 })
    mailer.close()
  })

  it('an invalid recipient (5xx) is dead-lettered at once, with the reason, and nothing is retried', async () => {
    const { outbox, mailer, handler, queue } = setup()
    smtp.refuse('inconnu@cabinet-test.fr', 550)
    const id = await outbox.enqueue(resetJob('inconnu@cabinet-test.fr'))
    const r = await drainEmails({ deadlineMs: 10_000, queue, handler })
    expect(r).toMatchObject({ processed: 1, failed: 1, retried: 0, stoppedBy: 'empty' })
    const dead = await queue.deadLetters(EMAIL_QUEUE)
    expect(dead.map((d) => d.id)).toEqual([id])
    expect(dead[0]!.attempts).toBe(1)
    expect(dead[0]!.error).toMatch(/PermanentJobError: refused by the SMTP server: .*550/)
    expect(smtp.refusals('inconnu@cabinet-test.fr')).toBe(1)
    expect(smtp.to('inconnu@cabinet-test.fr')).toHaveLength(0)
    mailer.close()
  })

  it('an SMTP server that does not answer is a transient failure (retried), not a lost e-mail', async () => {
    const { outbox, handler, queue } = setup()
    const mailer = createSmtpMailer(parseMailConfig({ SMTP_URL: 'smtp://127.0.0.1:1', MAIL_FROM: 'x@y.fr' }))
    const h = createEmailHandler({ prisma: {} as never, mailer, sealSecret: () => SECRET })
    await outbox.enqueue(resetJob('quelquun@cabinet-test.fr'))
    const r = await drainEmails({ deadlineMs: 10_000, queue, handler: h })
    expect(r).toMatchObject({ processed: 1, retried: 1, failed: 0 })
    void handler
    mailer.close()
  })

  it('a malformed job is refused at the push, naming the field', async () => {
    const { outbox } = setup()
    await expect(outbox.enqueue({ template: 'welcome', to: 'pas-une-adresse' } as never)).rejects.toThrow(
      /email-queue: job\.to/,
    )
  })
})
