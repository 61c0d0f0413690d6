/**
 * Team changes and deadline reminders, with the app's default wiring (process-wide database, queue and
 * sessions on a private redis-server behind the local endpoint, an SQLite file): a user who becomes a
 * reminder recipient (ASSISTANT made AVOCAT or ADMIN, or reactivated) gets the cabinet's pending reminders
 * at once; one who stops being a recipient costs nothing here (each reminder checks its recipient when
 * sent), and the e-mail proves it: only the current recipients receive it.
 */
import { EventEmitter } from 'node:events'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Identity } from '@/lib/core/identity'
import { deadlines } from '@/lib/deadlines/service'
import { runEmailWorker } from '@/lib/mail/drain'
import { handleEmailJob, type EmailOutcome } from '@/lib/mail/handler'
import { EMAIL_QUEUE } from '@/lib/mail/jobs'
import { prisma } from '@/lib/core/prisma'
import { queue } from '@/lib/upstash'
import { updateTeamMember } from '@/lib/users/team'
import { useDefaultWiring } from '../support/default-wiring'
import { startWorker } from '../support/worker-process'

const wiring = useDefaultWiring('team-reminders', {
  MAIL_FROM: 'Cabinet Sigma <no-reply@cabinet-sigma.fr>',
  APP_ORIGIN: 'https://app.cabinet-sigma.fr',
  // 3 s before the deadline: the test waits for it on the SMTP server, never on a clock.
  REMINDER_OFFSETS: '3s',
})
let cabinetId: string
let dossierId: string
const ids: Record<'admin' | 'assistant' | 'dormant' | 'leaver', string> = {
  admin: '',
  assistant: '',
  dormant: '',
  leaver: '',
}
let admin: Identity

beforeAll(async () => {
  const t = await prisma.tenant.create({ data: { name: 'Cabinet Sigma', referencePrefix: 'SIG' } })
  cabinetId = t.id
  dossierId = (
    await prisma.dossier.create({
      data: { tenantId: t.id, reference: 'SIG-2026-001', title: 'Succession Martin', clientName: 'Mme Martin' },
    })
  ).id
  const users = [
    ['admin', 'ADMIN', true],
    ['assistant', 'ASSISTANT', true],
    ['dormant', 'AVOCAT', false],
    ['leaver', 'AVOCAT', true],
  ] as const
  for (const [key, role, active] of users) {
    ids[key] = (
      await prisma.user.create({
        data: {
          tenantId: t.id,
          email: `${key}@cabinet-sigma.fr`,
          name: `Maître ${key}`,
          passwordHash: 'x',
          role,
          active,
        },
      })
    ).id
  }
  admin = {
    userId: ids.admin,
    tenantId: cabinetId,
    role: 'ADMIN',
    email: 'admin@cabinet-sigma.fr',
    name: 'Maître admin',
    sessionId: 'not-a-real-session',
  }
})

const delayed = async () => (await queue.stats(EMAIL_QUEUE)).delayed

describe('team changes and deadline reminders', () => {
  it(
    'promoting or reactivating a member schedules their reminders; demoting, deactivating or a no-op change schedules nothing; only current recipients get the e-mail',
    { timeout: 60_000 },
    async () => {
      const ctx = { cabinetId, userId: ids.admin }
      // Due in 15 s, reminded 3 s before: the reminder is due ~12 s from now, ample time for the changes below
      // (a member added after the reminder's time would get none: an offset already past is skipped).
      const dueAt = new Date(Date.now() + 15_000).toISOString()
      await deadlines().create(ctx, dossierId, { title: 'Dépôt des conclusions', dueAt, kind: 'delai_procedure' })
      // Recipients at creation: the admin and the active AVOCAT ("leaver").
      expect(await delayed()).toBe(2)

      // ASSISTANT → AVOCAT: becomes a recipient, gets the pending reminder.
      expect(await updateTeamMember(admin, ids.assistant, { role: 'AVOCAT' })).toMatchObject({ changed: true })
      expect(await delayed()).toBe(3)
      // Reactivated AVOCAT: same.
      expect(await updateTeamMember(admin, ids.dormant, { active: true })).toMatchObject({ changed: true })
      expect(await delayed()).toBe(4)
      // AVOCAT → ADMIN (already a recipient) and a change that changes nothing: nothing new.
      expect(await updateTeamMember(admin, ids.assistant, { role: 'ADMIN' })).toMatchObject({ changed: true })
      expect(await updateTeamMember(admin, ids.dormant, { active: true })).toMatchObject({ changed: false })
      expect(await delayed()).toBe(4)
      // Deactivated: nothing done now; the reminder queued for them is dropped when it is due.
      expect(await updateTeamMember(admin, ids.leaver, { active: false })).toMatchObject({ changed: true })
      expect(await delayed()).toBe(4)

      // When due, through the worker's own e-mail loop: exactly the current recipients receive it (the
      // leaver's job is dropped at send time). Waits on handled jobs and received messages, never on a clock.
      const outcomes: EmailOutcome[] = []
      const events = new EventEmitter()
      const stop = new AbortController()
      const worker = runEmailWorker({
        signal: stop.signal,
        minIdleMs: 50,
        maxIdleMs: 200,
        handler: async (data, job) => {
          const o = await handleEmailJob(data, job)
          outcomes.push(o)
          events.emit('outcome')
          return o
        },
      })
      try {
        const mails = await wiring.smtp.waitFor(3, (m) => m.subject.includes('Dépôt des conclusions'), 40_000)
        expect(mails.flatMap((m) => m.to).sort()).toEqual(
          ['admin', 'assistant', 'dormant'].map((k) => `${k}@cabinet-sigma.fr`).sort(),
        )
        expect(mails[0]!.text).toContain('SIG-2026-001')
        // All four handled: three sent, the leaver's dropped.
        await new Promise<void>((resolve) => {
          const check = () => outcomes.length >= 4 && (events.off('outcome', check), resolve())
          if (!check()) events.on('outcome', check)
        })
      } finally {
        stop.abort()
        await worker
      }
      expect(outcomes.map((o) => (o.status === 'dropped' ? o.reason : o.status)).sort()).toEqual([
        'recipient-gone',
        'sent',
        'sent',
        'sent',
      ])
      expect(await queue.stats(EMAIL_QUEUE)).toMatchObject({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
      expect(wiring.smtp.to('leaver@cabinet-sigma.fr')).toHaveLength(0)
    },
  )

  it(
    'npm run worker: queues at start the reminders a failed push left pending, sends them when due from its e-mail loop, stops cleanly',
    { timeout: 60_000 },
    async () => {
      // Saved while Redis was unreachable (the write happened, the push did not): remindersPending stays true.
      const title = 'Audience de mise en état'
      const d = await prisma.deadline.create({
        data: {
          tenantId: cabinetId,
          dossierId,
          title,
          kind: 'audience',
          // Reminded 3 s before: ~17 s from now, after the worker has started (a few seconds) and reconciled.
          dueAt: new Date(Date.now() + 20_000),
          remindersPending: true,
        },
      })
      const env = Object.fromEntries(
        Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
      )
      const worker = startWorker(env, ['--min-idle-ms', '50', '--max-idle-ms', '200'])
      try {
        // Its reconciliation at start queues them: the active ADMINs and AVOCAT (the deactivated one is not a recipient).
        expect(await worker.next((e) => e.event === 'reminders-reconciled')).toMatchObject({
          queue: EMAIL_QUEUE,
          pushed: 3,
        })
        expect((await prisma.deadline.findUniqueOrThrow({ where: { id: d.id } })).remindersPending).toBe(false)
        const mails = await wiring.smtp.waitFor(3, (m) => m.subject.includes(title), 40_000)
        expect(mails.flatMap((m) => m.to).sort()).toEqual(
          ['admin', 'assistant', 'dormant'].map((k) => `${k}@cabinet-sigma.fr`).sort(),
        )
        // Each acked once sent (the ack follows the send): three, all on the e-mail queue.
        const acked = () => worker.events.filter((e) => e.event === 'acked')
        await worker.next((e) => e.event === 'acked' && acked().length >= 3)
        expect(acked()).toHaveLength(3)
        expect(acked()).toEqual(Array(3).fill(expect.objectContaining({ queue: EMAIL_QUEUE, attempt: 1 })))
      } finally {
        worker.child.kill('SIGTERM')
      }
      expect(await worker.exited).toEqual({ code: 0, signal: null })
      expect(worker.events.at(-1)).toMatchObject({ event: 'stopped' })
      expect(await queue.stats(EMAIL_QUEUE)).toMatchObject({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
    },
  )
})
