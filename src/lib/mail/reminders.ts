/**
 * Deadline reminders on 'email-queue'. Design: ONE JOB PER RECIPIENT AND OFFSET, scheduled when a
 * deadline is created or confirmed, delayed until `dueAt - offset` (minus REMINDER_EARLY_WINDOW, if set), id
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
 * done, deleted) is cancelled (queue.cancel, 4 billed commands); one the cancel missed costs 6 more and sends nothing.
 */
import type { PrismaClient } from '@/generated/prisma/client'
import { queue } from '@/lib/upstash'
import { EMAIL_QUEUE } from '@/lib/mail/jobs'
import { createOutbox, type Outbox } from '@/lib/mail/outbox'
import { reminderJobId, type DeadlineReminderJob } from '@/lib/mail/jobs'
import { parseReminderEarlyWindow, parseReminderOffsets, type ReminderOffset } from './reminder-offsets'

/** Who is reminded: the cabinet's active lawyers and admins (assistants are not). */
export const REMINDER_ROLES = ['ADMIN', 'AVOCAT'] as const

const DAY = 86_400_000
/** The queue delays a job by at most 365 d; a reminder further out stays pending, pushed by reconcileReminders once in reach. */
export const SCHEDULE_HORIZON_MS = 360 * DAY

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
  // 4 billed commands a job still queued, 2 when there is none; a failure only leaves the send-time check to drop them.
  const results = await Promise.allSettled(jobIds.map((id) => queue.cancel(EMAIL_QUEUE, id)))
  const failed = results.find((r) => r.status === 'rejected')
  if (failed)
    console.warn(
      `[deadlines] stale reminders not cancelled (they will be dropped when due): ${(failed.reason as Error)?.message}`,
    )
}

export interface RemindersDeps {
  prisma: Pick<PrismaClient, 'user' | 'deadline'>
  outbox?: Outbox
  /** REMINDER_OFFSETS (default: the environment's, read on each call so tests can set it). */
  offsets?: () => ReminderOffset[]
  /** REMINDER_EARLY_WINDOW in ms (default: the environment's, read on each call like the offsets). */
  earlyMs?: () => number
  now?: () => number
  cancel?: (jobIds: string[]) => Promise<void>
}

/** What one scheduling did. */
export interface Scheduled {
  /** Jobs pushed (a push of a job still queued is a no-op, counted here all the same). */
  pushed: number
  /** false while some offset is beyond the queue's reach (pushed later by reconcileReminders). */
  complete: boolean
}

export interface Reminders {
  /** Throws (naming the variable) when REMINDER_OFFSETS or REMINDER_EARLY_WINDOW is misconfigured: called before a deadline is written. */
  check(): void
  /** Pushes the deadline's reminders for its current version; offsets already past are skipped. */
  schedule(deadline: ReminderTarget): Promise<Scheduled>
  /**
   * Schedules, then clears the deadline's remindersPending flag (if its version is unchanged). Never
   * throws for Redis: a failure is logged and the flag stays, for reconcileReminders.
   */
  sync(deadline: ReminderTarget): Promise<Scheduled | null>
  /** Cancels the reminders of `version` (the one before a change), for the cabinet's current recipients. */
  cancel(deadline: ReminderTarget, version: number): Promise<void>
  /** Gives a user who just became a recipient (joined as ADMIN/AVOCAT) the cabinet's pending reminders. */
  scheduleForMember(tenantId: string, userId: string): Promise<number>
  /**
   * For the cron route and the worker's periodic reconciliation: pushes the reminders of deadlines still
   * flagged remindersPending (a push that failed, an offset that was beyond the queue's reach and is now
   * within it). A database query (free) when nothing is pending; 2 billed commands per push otherwise.
   * Returns how many jobs were pushed.
   */
  reconcileReminders(): Promise<number>
}

export function createReminders(deps: RemindersDeps): Reminders {
  const { prisma } = deps
  const outbox = deps.outbox ?? createOutbox()
  const offsets = deps.offsets ?? (() => parseReminderOffsets(process.env.REMINDER_OFFSETS))
  const earlyMs = deps.earlyMs ?? (() => parseReminderEarlyWindow(process.env.REMINDER_EARLY_WINDOW))
  const now = deps.now ?? Date.now
  const cancelJobs = deps.cancel ?? cancelReminderJobs

  async function recipients(tenantId: string): Promise<string[]> {
    const users = await prisma.user.findMany({
      where: { tenantId, active: true, role: { in: [...REMINDER_ROLES] } },
      select: { id: true },
      orderBy: { id: 'asc' },
    })
    return users.map((u) => u.id)
  }

  /** Pushes for `userIds`, each offset whose time is still ahead and within the queue's reach. */
  async function push(deadline: ReminderTarget, userIds: string[]): Promise<Scheduled> {
    const t = now()
    const early = earlyMs()
    const pushes: Promise<string>[] = []
    let complete = true
    for (const offset of offsets()) {
      const fireAt = deadline.dueAt.getTime() - offset.ms
      // Past already: skipped (a reminder after its time is noise). Within the early window: due at once.
      if (fireAt <= t) continue
      const delayMs = Math.max(0, fireAt - early - t)
      // Beyond the queue's reach: later, by reconcileReminders.
      if (delayMs > SCHEDULE_HORIZON_MS) {
        complete = false
        continue
      }
      for (const userId of userIds) {
        const job: DeadlineReminderJob = {
          template: 'deadline-reminder',
          tenantId: deadline.tenantId,
          deadlineId: deadline.id,
          userId,
          offset: offset.label,
          version: deadline.reminderVersion,
        }
        pushes.push(
          outbox.enqueue(job, {
            jobId: reminderJobId(deadline.id, offset.label, deadline.reminderVersion, userId),
            delayMs,
          }),
        )
      }
    }
    // Concurrent: the client auto-pipelines them into few round trips.
    await Promise.all(pushes)
    return { pushed: pushes.length, complete }
  }

  async function sync(deadline: ReminderTarget): Promise<Scheduled | null> {
    try {
      const done = await push(deadline, await recipients(deadline.tenantId))
      if (done.complete)
        await prisma.deadline.updateMany({
          where: { id: deadline.id, reminderVersion: deadline.reminderVersion },
          data: { remindersPending: false },
        })
      return done
    } catch (err) {
      console.warn(
        `[deadlines] reminders of ${deadline.id} not queued yet (reconcileReminders will): ${(err as Error).message}`,
      )
      return null
    }
  }

  return {
    check() {
      offsets()
      earlyMs()
    },

    async schedule(deadline) {
      return push(deadline, await recipients(deadline.tenantId))
    },

    sync,

    async cancel(deadline, version) {
      const users = await recipients(deadline.tenantId)
      await cancelJobs(offsets().flatMap((o) => users.map((u) => reminderJobId(deadline.id, o.label, version, u))))
    },

    async scheduleForMember(tenantId, userId) {
      const user = await prisma.user.findFirst({
        where: { id: userId, tenantId, active: true, role: { in: [...REMINDER_ROLES] } },
        select: { id: true },
      })
      if (!user) return 0
      const maxOffset = Math.max(0, ...offsets().map((o) => o.ms))
      // Bounded: the nearest 1 000 pending deadlines (a cabinet with more gives the newcomer those; the rest stay with the colleagues already scheduled).
      const pending = await prisma.deadline.findMany({
        where: {
          tenantId,
          status: 'confirmed',
          done: false,
          dueAt: { gt: new Date(now()), lte: new Date(now() + SCHEDULE_HORIZON_MS + maxOffset) },
        },
        select: { id: true, tenantId: true, dueAt: true, reminderVersion: true },
        orderBy: { dueAt: 'asc' },
        take: 1_000,
      })
      let n = 0
      for (const d of pending) n += (await push(d, [userId])).pushed
      return n
    },

    async reconcileReminders() {
      const t = now()
      const maxOffset = Math.max(0, ...offsets().map((o) => o.ms))
      // Only what has an offset within reach now: a prescription years away costs nothing until then.
      const pending = await prisma.deadline.findMany({
        where: {
          remindersPending: true,
          status: 'confirmed',
          done: false,
          dueAt: { gt: new Date(t), lte: new Date(t + SCHEDULE_HORIZON_MS + maxOffset) },
        },
        select: { id: true, tenantId: true, dueAt: true, reminderVersion: true },
        orderBy: { dueAt: 'asc' },
        take: 1_000,
      })
      let n = 0
      for (const d of pending) n += (await sync(d))?.pushed ?? 0
      return n
    },
  }
}
