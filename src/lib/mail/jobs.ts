import { z } from 'zod'
import { ROLES } from '@/lib/core/identity'

/**
 * What 'email-queue' carries: the setup guide's `{ to, subject, template }` (`template: 'welcome'` is
 * the invitation), plus what each template needs. A reminder names its recipient by user id, not
 * address: the handler re-reads the user (still active, still in the cabinet, still ADMIN or AVOCAT)
 * and the deadline (still due, same version) when it is time to send.
 */
export const EMAIL_QUEUE = 'email-queue'

const id = z.string({ error: 'expected a string' }).regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected an id')
const address = z.email({ error: 'expected an e-mail address' }).max(254)

export const deadlineReminderJobSchema = z.object({
  template: z.literal('deadline-reminder'),
  tenantId: id,
  deadlineId: id,
  userId: id,
  /** The REMINDER_OFFSETS entry it was scheduled for ("7d"). */
  offset: z.string().regex(/^\d{1,6}[smhd]$/, 'expected an offset such as 7d'),
  /** Deadline.reminderVersion when it was scheduled: any other value now means it was moved or reopened. */
  version: z.number().int().min(0),
})

export const welcomeJobSchema = z.object({
  template: z.literal('welcome'),
  to: address,
  subject: z.string().min(1).max(300),
  tenantId: id,
  cabinetName: z.string().max(200),
  inviterName: z.string().max(200),
  role: z.enum(ROLES),
  /** The invitation link, sealed (seal.ts). */
  sealedLink: z.string().min(1).max(4000),
  expiresAt: z.number().int(),
})

export const passwordResetJobSchema = z.object({
  template: z.literal('password-reset'),
  to: address,
  subject: z.string().min(1).max(300),
  name: z.string().max(200),
  sealedLink: z.string().min(1).max(4000),
  expiresAt: z.number().int(),
})

export const emailJobSchema = z.discriminatedUnion(
  'template',
  [deadlineReminderJobSchema, welcomeJobSchema, passwordResetJobSchema],
  {
    error: "expected an e-mail job with template 'deadline-reminder', 'welcome' or 'password-reset'",
  },
)

export type EmailJob = z.infer<typeof emailJobSchema>
export type DeadlineReminderJob = z.infer<typeof deadlineReminderJobSchema>
export type WelcomeJob = z.infer<typeof welcomeJobSchema>
export type PasswordResetJob = z.infer<typeof passwordResetJobSchema>

/** The idempotent job id of one reminder: one per deadline, offset, version and recipient. */
export function reminderJobId(deadlineId: string, offset: string, version: number, userId: string): string {
  return `reminder:${deadlineId}:${offset}:${version}:${userId}`
}
