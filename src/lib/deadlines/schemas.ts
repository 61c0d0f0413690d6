import { z } from 'zod'
import { DEADLINE_KINDS } from '@/lib/core/deadline-kinds'
import { parisLocalToInstant } from '@/lib/core/paris-time'

export const DEADLINE_STATUSES = ['proposed', 'confirmed', 'dismissed'] as const
export type DeadlineStatus = (typeof DEADLINE_STATUSES)[number]

/** A date without a time (the analysis' dates, a date-only input) is due at this Paris hour. */
export const DEFAULT_DUE_HOUR = 9

const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/
const PARIS_LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/

/**
 * A due date-time: ISO 8601 with an offset (`2027-01-12T09:30:00+01:00`, `…Z`), or a Europe/Paris
 * wall-clock time as an `<input type="datetime-local">` sends it (`2027-01-12T09:30`), or a date alone
 * (`2027-01-12`, due at 09:00 Paris). Years 2000-2199; an impossible date (31 février) is refused.
 */
export const dueAtSchema = z
  .string({
    error: 'dueAt must be a string (ISO 8601 date-time, or a Europe/Paris date-time such as 2027-01-12T09:30)',
  })
  .trim()
  .transform((raw, ctx) => {
    const fail = (why: string) => {
      ctx.addIssue({ code: 'custom', message: `dueAt ${why} (got "${raw.slice(0, 40)}")` })
      return z.NEVER
    }
    const withOffset = ISO_WITH_OFFSET.exec(raw)
    const local = withOffset ? null : PARIS_LOCAL.exec(raw)
    const m = withOffset ?? local
    if (!m)
      return fail(
        'must be an ISO 8601 date-time with an offset (2027-01-12T09:30:00+01:00) or a Europe/Paris date-time (2027-01-12T09:30)',
      )
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
    const hasTime = m[4] !== undefined
    const [hour, minute, second] = hasTime ? [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)] : [DEFAULT_DUE_HOUR, 0, 0]
    const calendar = new Date(Date.UTC(year, month - 1, day))
    if (year < 2000 || year > 2199) return fail('must be a year from 2000 to 2199')
    if (
      calendar.getUTCMonth() !== month - 1 ||
      calendar.getUTCDate() !== day ||
      hour > 23 ||
      minute > 59 ||
      second > 59
    )
      return fail('is not a real date and time')
    if (withOffset) {
      const at = new Date(raw)
      return Number.isNaN(at.getTime()) ? fail('is not a valid date-time') : at
    }
    return parisLocalToInstant({ year, month, day, hour, minute, second })
  })

const title = z
  .string({ error: 'title must be a string' })
  .trim()
  .min(1, { error: 'title must not be empty' })
  .max(200, { error: 'title must be at most 200 characters' })
const kind = z.enum(DEADLINE_KINDS, { error: `kind must be one of ${DEADLINE_KINDS.join(', ')}` })

/** POST /api/dossiers/:id/deadlines */
export const deadlineCreateSchema = z.strictObject(
  { title, dueAt: dueAtSchema, kind: kind.optional() },
  { error: 'expected an object with title, dueAt and optionally kind' },
)
export type DeadlineCreateInput = z.input<typeof deadlineCreateSchema>

/** PATCH /api/deadlines/:id */
export const deadlineUpdateSchema = z
  .strictObject(
    {
      title: title.optional(),
      dueAt: dueAtSchema.optional(),
      kind: kind.optional(),
      done: z.boolean({ error: 'done must be true or false' }).optional(),
    },
    { error: 'expected an object with title, dueAt, kind and/or done' },
  )
  .refine((p) => Object.values(p).some((v) => v !== undefined), {
    error: 'nothing to change: send title, dueAt, kind and/or done',
  })
export type DeadlineUpdateInput = z.input<typeof deadlineUpdateSchema>

/** Bounds of GET /api/deadlines?from=&to= (same forms as dueAt). */
export const deadlineListQuerySchema = z
  .object({
    from: dueAtSchema.optional(),
    to: dueAtSchema.optional(),
    limit: z.coerce
      .number({ error: 'limit must be a number' })
      .int({ error: 'limit must be a whole number' })
      .min(1, { error: 'limit must be at least 1' })
      .max(500, { error: 'limit must be at most 500' })
      .optional(),
    includeDone: z
      .enum(['true', 'false'], { error: 'includeDone must be "true" or "false"' })
      .transform((v) => v === 'true')
      .optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { error: 'from must not be after to' })
export type DeadlineListQuery = z.input<typeof deadlineListQuerySchema>

/** An id in a URL. */
export const deadlineIdSchema = z
  .string({ error: 'id must be a string' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { error: 'id must be a deadline id' })

/** What the analysis found (src/lib/analyses/analyzer.ts' keyDates). */
export const foundDateSchema = z.object({
  date: z.iso.date({ error: 'date must be yyyy-mm-dd' }),
  context: z.string().max(500),
})
export type FoundDate = z.infer<typeof foundDateSchema>
