import { z } from 'zod'

/**
 * REMINDER_OFFSETS: how long before a deadline each reminder goes out, e.g. "7d,1d" (the default),
 * "2d,3h", or "5s" in tests. Units s, m, h, d; whole numbers; at most 10 offsets, each at most 365 d.
 */

export const DEFAULT_REMINDER_OFFSETS = '7d,1d'

/** One offset: its spelling (part of the reminder's job id) and its length. */
export interface ReminderOffset {
  /** Normalised spelling, e.g. "7d": stable, so a job id built from it is too. */
  label: string
  ms: number
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const MAX_MS = 365 * UNIT_MS.d

export class ReminderOffsetsError extends Error {
  override name = 'ReminderOffsetsError'
}

/** Parses a REMINDER_OFFSETS value (unset or empty → the default), longest first, duplicates removed. */
export function parseReminderOffsets(raw: string | undefined, variable = 'REMINDER_OFFSETS'): ReminderOffset[] {
  const value = raw === undefined || raw.trim() === '' ? DEFAULT_REMINDER_OFFSETS : raw
  const parts = value.split(',').map((p) => p.trim())
  const out = new Map<number, ReminderOffset>()
  for (const part of parts) {
    const m = /^(\d{1,6})\s*([smhd])$/i.exec(part)
    const ms = m ? Number(m[1]) * UNIT_MS[m[2]!.toLowerCase() as keyof typeof UNIT_MS] : Number.NaN
    if (!m || !(ms > 0) || ms > MAX_MS) {
      throw new ReminderOffsetsError(
        `${variable} must be durations separated by commas, each a whole number and a unit s, m, h or d, from 1s to 365d (e.g. "7d,1d"); "${part.slice(0, 20)}" is not one`,
      )
    }
    out.set(ms, { label: `${Number(m[1])}${m[2]!.toLowerCase()}`, ms })
  }
  if (out.size > 10) throw new ReminderOffsetsError(`${variable} allows at most 10 offsets (got ${out.size})`)
  return [...out.values()].sort((a, b) => b.ms - a.ms)
}

const MAX_EARLY_MS = 7 * UNIT_MS.d

/**
 * REMINDER_EARLY_WINDOW: how long before its time a reminder may go out, so that a drain that runs rarely
 * sends it early rather than late. Vercel Hobby runs the cron once a day: with "24h" there, every reminder
 * goes out on the run before its time instead of the run after (a "1d" one no longer arrives on the day).
 * Unset, empty or "0": none (the worker, or a cron every few minutes, sends them on time). Same units as
 * REMINDER_OFFSETS, one duration, at most 7d. Returns milliseconds.
 */
export function parseReminderEarlyWindow(raw: string | undefined, variable = 'REMINDER_EARLY_WINDOW'): number {
  const value = raw?.trim() ?? ''
  if (value === '' || value === '0') return 0
  const m = /^(\d{1,6})\s*([smhd])$/i.exec(value)
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]!.toLowerCase() as keyof typeof UNIT_MS] : Number.NaN
  if (!m || !(ms >= 0) || ms > MAX_EARLY_MS)
    throw new ReminderOffsetsError(
      `${variable} must be 0 or one duration, a whole number and a unit s, m, h or d, at most 7d (e.g. "24h"); "${value.slice(0, 20)}" is not one`,
    )
  return ms
}

/** The zod shape, for a config schema that wants it. */
export const reminderOffsetsVar = (name = 'REMINDER_OFFSETS') =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      try {
        return parseReminderOffsets(v, name)
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message })
        return z.NEVER
      }
    })

/** "7 jours", "1 jour", "3 heures", "5 secondes": for the e-mail's wording. */
export function describeOffsetFr(offset: ReminderOffset): string {
  const n = Number(offset.label.slice(0, -1))
  const unit = offset.label.slice(-1)
  const words = { s: ['seconde', 'secondes'], m: ['minute', 'minutes'], h: ['heure', 'heures'], d: ['jour', 'jours'] }[
    unit as 's' | 'm' | 'h' | 'd'
  ]
  return `${n} ${n > 1 ? words[1] : words[0]}`
}
