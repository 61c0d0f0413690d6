import type { PrismaClient } from '@/generated/prisma/client'
import { appConfig } from '@/lib/core/config'
import { describeOffsetFr } from '@/lib/mail/reminder-offsets'
import type { DeadlineKind } from '@/lib/core/deadline-kinds'
import { prisma as defaultPrisma } from '@/lib/core/prisma'
import { parseInput, PermanentJobError, type ReservedJob } from '@/lib/upstash'
import { mailConfig, type MailConfig } from './config'
import { EMAIL_QUEUE, emailJobSchema, type DeadlineReminderJob, type EmailJob } from './jobs'
import { SealError, unseal } from './seal'
import { renderDeadlineReminder, renderInvitation, renderPasswordReset, type RenderedEmail } from './templates'
import { mailer as defaultMailer, SmtpError, type Mailer } from './transport'

/**
 * The 'email-queue' job handler (handleEmailJob): renders the template and sends it. A reminder is
 * checked at send time against the database, so its correctness never depends on cancelling jobs:
 * it is dropped (acked, nothing sent) when its deadline is gone, done, not confirmed, due already, or
 * moved/reopened since (version mismatch), or its recipient is no longer an active ADMIN or AVOCAT of
 * that cabinet. SMTP: a transient failure throws (the queue retries with backoff), a permanent one
 * throws PermanentJobError (dead letter at once).
 */

export type EmailOutcome =
  | { status: 'sent'; template: EmailJob['template']; to: string; messageId: string }
  | { status: 'dropped'; template: EmailJob['template']; reason: ReminderDropReason }

export type ReminderDropReason = 'deadline-gone' | 'done' | 'not-confirmed' | 'moved' | 'past' | 'recipient-gone'

export interface EmailHandlerDeps {
  prisma?: Pick<PrismaClient, 'deadline' | 'user'>
  mailer?: Mailer
  config?: () => MailConfig
  /** Opens sealed links (SESSION_SECRET by default). */
  sealSecret?: () => string
  now?: () => number
}

export type EmailJobHandler = (data: unknown, job?: ReservedJob<unknown>) => Promise<EmailOutcome>

export function createEmailHandler(deps: EmailHandlerDeps = {}): EmailJobHandler {
  const prisma = deps.prisma ?? defaultPrisma
  const config = deps.config ?? mailConfig
  const secret = deps.sealSecret ?? (() => appConfig().sessionSecret ?? '')
  const now = deps.now ?? Date.now
  const send = (to: string, email: RenderedEmail) => (deps.mailer ?? defaultMailer()).send({ to, ...email })

  async function reminder(
    job: DeadlineReminderJob,
  ): Promise<{ to: string; email: RenderedEmail } | ReminderDropReason> {
    const deadline = await prisma.deadline.findFirst({
      where: { id: job.deadlineId, tenantId: job.tenantId },
      include: { dossier: { select: { id: true, reference: true, title: true } }, tenant: { select: { name: true } } },
    })
    if (!deadline) return 'deadline-gone'
    if (deadline.done) return 'done'
    if (deadline.status !== 'confirmed') return 'not-confirmed'
    if (deadline.reminderVersion !== job.version) return 'moved'
    if (deadline.dueAt.getTime() <= now()) return 'past'
    const user = await prisma.user.findFirst({
      where: { id: job.userId, tenantId: job.tenantId, active: true, role: { in: ['ADMIN', 'AVOCAT'] } },
      select: { email: true, name: true },
    })
    if (!user) return 'recipient-gone'
    const email = renderDeadlineReminder({
      recipientName: user.name,
      cabinetName: deadline.tenant.name,
      dossier: deadline.dossier,
      deadline: { title: deadline.title, kind: deadline.kind as DeadlineKind, dueAt: deadline.dueAt },
      offsetText: describeOffsetFr({ label: job.offset, ms: 0 }),
      dossierUrl: `${config().appOrigin}/dossiers/${encodeURIComponent(deadline.dossier.id)}`,
    })
    return { to: user.email, email }
  }

  function open(sealed: string): string {
    try {
      return unseal(sealed, secret())
    } catch (err) {
      // Another SESSION_SECRET or an altered job: no retry will open it.
      if (err instanceof SealError) throw new PermanentJobError(err.message)
      throw err
    }
  }

  return async (data) => {
    // A malformed job will not get better with retries: straight to the dead letters.
    const job = parseInput(emailJobSchema, data, `${EMAIL_QUEUE} job: data`, PermanentJobError)
    let to: string
    let email: RenderedEmail
    if (job.template === 'deadline-reminder') {
      const r = await reminder(job)
      if (typeof r === 'string') return { status: 'dropped', template: job.template, reason: r }
      ;({ to, email } = r)
    } else if (job.template === 'welcome') {
      to = job.to
      email = renderInvitation({
        cabinetName: job.cabinetName,
        inviterName: job.inviterName,
        role: job.role,
        link: open(job.sealedLink),
        expiresAt: new Date(job.expiresAt),
      })
      email.subject = job.subject
    } else {
      // An expired link is not worth sending.
      if (job.expiresAt <= now()) throw new PermanentJobError('password-reset link expired before it could be sent')
      to = job.to
      email = renderPasswordReset({ name: job.name, link: open(job.sealedLink), expiresAt: new Date(job.expiresAt) })
      email.subject = job.subject
    }
    try {
      const sent = await send(to, email)
      return { status: 'sent', template: job.template, to, messageId: sent.messageId }
    } catch (err) {
      if (err instanceof SmtpError && err.permanent)
        throw new PermanentJobError(`refused by the SMTP server: ${err.message}`)
      throw err
    }
  }
}

let defaultHandler: EmailJobHandler | undefined

/** The process's 'email-queue' handler (database, SMTP_URL, MAIL_FROM, APP_ORIGIN from the environment). */
export function handleEmailJob(data: unknown, job?: ReservedJob<unknown>): Promise<EmailOutcome> {
  defaultHandler ??= createEmailHandler()
  return defaultHandler(data, job)
}
