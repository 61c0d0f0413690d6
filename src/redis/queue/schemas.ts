import { z } from 'zod'
import { optionsObjectError } from '../core/helper-input'

/** The queue's argument schemas: checked before any Redis call, so bad input never writes anything. */

const ms = (max: number) =>
  z
    .number({ error: 'expected a number of milliseconds' })
    .int('expected whole milliseconds')
    .min(0, 'must not be negative')
    .max(max, `must be at most ${max}`)
export const positive = (max: number) =>
  z
    .number({ error: 'expected a number' })
    .int('expected a whole number')
    .min(1, 'must be at least 1')
    .max(max, `must be at most ${max}`)
export const DAY = 24 * 3600_000

// Strict objects: an unknown option (a typo such as `retries`) is an error, not silently ignored.
export const settingsSchema = z.strictObject(
  {
    maxAttempts: positive(99),
    backoffMs: ms(DAY),
    maxBackoffMs: ms(7 * DAY),
    maxPayloadBytes: positive(10 * 1024 * 1024),
    visibilityTimeoutMs: positive(DAY),
    deadLetterLimit: positive(1_000_000),
    groupSlotMs: positive(DAY),
    groupWindowMs: positive(365 * DAY),
  },
  optionsObjectError,
)
export const optionsSchema = settingsSchema.partial().extend({
  queues: z
    .record(z.string(), settingsSchema.partial(), { error: 'expected an object of settings per queue name' })
    .optional(),
})
export const pushOptionsSchema = z.strictObject(
  {
    jobId: z
      .string({ error: 'expected a string' })
      .regex(/^[A-Za-z0-9:_.-]{1,128}$/, 'expected 1-128 letters, digits, ":", "_", "." or "-"')
      .optional(),
    delayMs: ms(365 * DAY).optional(),
    maxAttempts: positive(99).optional(),
    backoffMs: ms(DAY).optional(),
    group: z
      .string({ error: 'expected a string' })
      .regex(/^[A-Za-z0-9:_.-]{1,128}$/, 'expected 1-128 letters, digits, ":", "_", "." or "-"')
      .optional(),
  },
  optionsObjectError,
)
export const reserveOptionsSchema = z.strictObject(
  { visibilityTimeoutMs: positive(DAY).optional() },
  optionsObjectError,
)

/** Letters, digits and `:_.-`; no braces, which would break the queue's hash tag. */
export const queueNameSchema = z
  .string({ error: 'expected a string' })
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9:_.-]{0,127}$/,
    'expected 1-128 letters, digits, ":", "_", "." or "-", starting with a letter or digit',
  )

export const idSchema = z.string({ error: 'expected a string' }).min(1, 'must not be empty')
export const leaseSchema = z.object(
  { id: idSchema, leaseToken: idSchema },
  { error: 'expected the job returned by reserve()' },
)
