/**
 * Deadline reminders on 'email-queue'. Design: ONE JOB PER RECIPIENT AND OFFSET, scheduled when a
 * deadline is created or confirmed, delayed until `dueAt - offset`, id
 * `reminder:<deadlineId>:<offset>:<version>:<userId>` (pushing it again while queued does nothing).
 * Why per recipient rather than one job per deadline+offset expanded at send time: an SMTP failure or a
 * bad address then retries or dead-letters that one e-mail, never re-sending to colleagues already
 * served (an expanding job that fails half-way would resend to all on retry), and each e-mail costs the
 * same fixed 8 billed commands. The price, recipients fixed at scheduling, is covered both ways: the
 * send-time check drops a recipient who left, was deactivated or lost the role, and
 * scheduleForMember() gives a newcomer the cabinet's pending reminders.
 *
 * Billed commands per reminder e-mail: schedule 2 (push: HSETNX + ZADD NX) + send 6 (reserve: ZRANGEBYSCORE
 * + claim script 1+2; ack: ZREM + HDEL) = 8, plus the handler's database reads (free). Waiting costs 0:
 * a delayed job is a sorted-set entry no reserve reads until it is due. A dropped reminder (moved,
 * done, deleted) costs the same 8 and sends nothing; cancelling it when the queue has `cancel` saves the 6.
 */
import type { PrismaClient } from '@/generated/prisma/client'
import { createOutbox, type Outbox } from '@/lib/mail/outbox'
import { reminderJobId, type DeadlineReminderJob } from '@/lib/mail/jobs'
import { parseReminderOffsets, type ReminderOffset } from './offsets'

/** Who is reminded: the cabinet's active lawyers and admins (assistants are not). */
export const REMINDER_ROLES = ['ADMIN', 'AVOCAT'] as const

const DAY = 86_400_000
/** The queue delays a job by at most 365 d; reminders further out are pushed later by reconcileFarReminders (daily cron). */
export const SCHEDULE_HORIZON_MS = 360 * DAY
/** reconcileFarReminders looks this far below the horizon too, so a week of missed cron runs loses nothing. */
const RECONCILE_OVERLAP_MS = 7 * DAY

/** What scheduling needs of a deadline. */
export interface ReminderTarget {
  id: string
  tenantId: string
  dueAt: Date
  reminderVersion: number
}

/**
 * Removes queued reminder jobs that can no longer be right (the deadline moved, was completed or deleted).
 * Correctness never depends on it (the send-time check drops them); it only saves their send cost.
 */
export async function cancelReminderJobs(jobIds: string[]): Promise<void> {
  // TODO(lead): queue.cancel — once the queue has `cancel(name, jobId)`, wire it here:
  //   await Promise.all(jobIds.map((id) => queue.cancel(EMAIL_QUEUE, id)))
  // Until then a no-op: stale jobs are dropped by the send-time check in src/lib/mail/handler.ts.
  void jobIds
}

export interface RemindersDeps {
  prisma: Pick<PrismaClient, 'user' | 'deadline'>
  outbox?: Outbox
  /** REMINDER_OFFSETS (default: the environment's, read on each call so tests can set it). */
  offsets?: () => ReminderOffset[]
  now?: () => number
  cancel?: (jobIds: string[]) => Promise<void>
}

export interface Reminders {
  /** Pushes the deadline's reminders for its current version; offsets already past are skipped. Returns how many jobs were pushed. */
  schedule(deadline: ReminderTarget): Promise<number>
  /** Cancels the reminders of `version` (the one before a change), for the cabinet's current recipients. */
  cancel(deadline: ReminderTarget, version: number): Promise<void>
  /** Gives a user who just became a recipient (joined as ADMIN/AVOCAT) the cabinet's pending reminders. */
  scheduleForMember(tenantId: string, userId: string): Promise<number>
  /** Daily: pushes reminders that entered the queue's 360-day reach (prescriptions years away). */
  reconcileFarReminders(): Promise<number>
}

export function createReminders(deps: RemindersDeps): Reminders {
  const { prisma } = deps
  const outbox = deps.outbox ?? createOutbox()
  const offsets = deps.offsets ?? (() => parseReminderOffsets(process.env.REMINDER_OFFSETS))
  const now = deps.now ?? Date.now
  const cancelJobs = deps.cancel ?? cancelReminderJobs

  async function recipients(tenantId: string): Promise<string[]> {
    const users = await prisma.user.findMany({ where: { tenantId, active: true, role: { in: [...REMINDER_ROLES] } }, select: { id: true }, orderBy: { id: 'asc' } })
    return users.map((u) => u.id)
  }

  /** Pushes for `userIds`, each offset whose time is still ahead and within the queue's reach. */
  async function push(deadline: ReminderTarget, userIds: string[], lowerBoundMs = 0): Promise<number> {
    const t = now()
    const pushes: Promise<string>[] = []
    for (const offset of offsets()) {
      const fireAt = deadline.dueAt.getTime() - offset.ms
      const delayMs = fireAt - t
      // Past already: skipped (a reminder after its time is noise). Beyond reach: reconcileFarReminders.
      if (delayMs <= 0 || delayMs > SCHEDULE_HORIZON_MS || delayMs < lowerBoundMs) continue
      for (const userId of userIds) {
        const job: DeadlineReminderJob = { template: 'deadline-reminder', tenantId: deadline.tenantId, deadlineId: deadline.id, userId, offset: offset.label, version: deadline.reminderVersion }
        pushes.push(outbox.enqueue(job, { jobId: reminderJobId(deadline.id, offset.label, deadline.reminderVersion, userId), delayMs }))
      }
    }
    // Concurrent: the client auto-pipelines them into few round trips.
    await Promise.all(pushes)
    return pushes.length
  }

  return {
    async schedule(deadline) {
      return push(deadline, await recipients(deadline.tenantId))
    },

    async cancel(deadline, version) {
      const users = await recipients(deadline.tenantId)
      await cancelJobs(offsets().flatMap((o) => users.map((u) => reminderJobId(deadline.id, o.label, version, u))))
    },

    async scheduleForMember(tenantId, userId) {
      const user = await prisma.user.findFirst({ where: { id: userId, tenantId, active: true, role: { in: [...REMINDER_ROLES] } }, select: { id: true } })
      if (!user) return 0
      const maxOffset = Math.max(0, ...offsets().map((o) => o.ms))
      // Bounded: the nearest 1 000 pending deadlines (the rest enter through reconcileFarReminders or are far enough not to matter today).
      const pending = await prisma.deadline.findMany({
        where: { tenantId, status: 'confirmed', done: false, dueAt: { gt: new Date(now()), lte: new Date(now() + SCHEDULE_HORIZON_MS + maxOffset) } },
        select: { id: true, tenantId: true, dueAt: true, reminderVersion: true },
        orderBy: { dueAt: 'asc' },
        take: 1_000,
      })
      let n = 0
      for (const d of pending) n += await push(d, [userId])
      return n
    },

    async reconcileFarReminders() {
      const t = now()
      const maxOffset = Math.max(0, ...offsets().map((o) => o.ms))
      // Only deadlines with a reminder time in (horizon - overlap, horizon]: what the queue could not take before.
      const band = await prisma.deadline.findMany({
        where: { status: 'confirmed', done: false, dueAt: { gt: new Date(t + SCHEDULE_HORIZON_MS - RECONCILE_OVERLAP_MS), lte: new Date(t + SCHEDULE_HORIZON_MS + maxOffset) } },
        select: { id: true, tenantId: true, dueAt: true, reminderVersion: true },
        take: 10_000,
      })
      const byCabinet = new Map<string, string[]>()
      let n = 0
      for (const d of band) {
        if (!byCabinet.has(d.tenantId)) byCabinet.set(d.tenantId, await recipients(d.tenantId))
        n += await push(d, byCabinet.get(d.tenantId)!, SCHEDULE_HORIZON_MS - RECONCILE_OVERLAP_MS)
      }
      return n
    },
  }
}
