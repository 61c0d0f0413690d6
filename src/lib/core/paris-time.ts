/**
 * Europe/Paris wall-clock time ↔ instants, and French formatting, with Intl only (no date library):
 * cabinets type and read dates in Paris time whatever the server's zone (Vercel runs in UTC).
 */

export const PARIS = 'Europe/Paris'

const partsFormatter = new Intl.DateTimeFormat('en-GB', {
  timeZone: PARIS,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})

/** Paris wall-clock fields of an instant. */
export function parisFields(at: Date): {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
} {
  const get = (type: string) => Number(partsFormatter.formatToParts(at).find((p) => p.type === type)!.value)
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  }
}

/** Paris's offset from UTC at an instant, in ms (+1 h in winter, +2 h in summer). */
function parisOffsetMs(at: number): number {
  const f = parisFields(new Date(at))
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) - Math.floor(at / 1000) * 1000
}

/** A date and time as Paris clocks show it (month 1-12). */
export interface ParisLocalTime {
  year: number
  month: number
  day: number
  hour?: number
  minute?: number
  second?: number
}

/**
 * The instant at which Paris clocks show this date and time. A time skipped by the spring change
 * (02:30 on the last Sunday of March) is read as the hour after it; an hour that happens twice (the
 * autumn change) as its first occurrence.
 */
export function parisLocalToInstant({ year, month, day, hour = 0, minute = 0, second = 0 }: ParisLocalTime): Date {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second)
  // Two passes: the offset at the guess may differ from the offset at the answer around a change.
  let instant = asUtc - parisOffsetMs(asUtc)
  instant = asUtc - parisOffsetMs(instant)
  const earlier = asUtc - parisOffsetMs(instant - 3600_000)
  if (earlier !== instant && parisOffsetMs(earlier) === asUtc - earlier) instant = Math.min(instant, earlier)
  return new Date(instant)
}

/** yyyy-mm-dd of an instant, in Paris. */
export function parisDateKey(at: Date): string {
  const f = parisFields(at)
  return `${f.year}-${String(f.month).padStart(2, '0')}-${String(f.day).padStart(2, '0')}`
}

const longDate = new Intl.DateTimeFormat('fr-FR', {
  timeZone: PARIS,
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
})
const shortDateTime = new Intl.DateTimeFormat('fr-FR', {
  timeZone: PARIS,
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
})
const timeOnly = new Intl.DateTimeFormat('fr-FR', { timeZone: PARIS, hour: '2-digit', minute: '2-digit' })

/** « mardi 12 janvier 2027 à 09:30 » (Paris time). */
export function formatDateTimeFr(at: Date): string {
  return `${longDate.format(at)} à ${timeOnly.format(at)}`
}

/** « mardi 12 janvier 2027 » (Paris time). */
export function formatDateFr(at: Date): string {
  return longDate.format(at)
}

/** « 12/01/2027 09:30 » (Paris time), for lists. */
export function formatShortDateTimeFr(at: Date): string {
  return shortDateTime.format(at)
}

/** The value of an `<input type="datetime-local">` showing this instant in Paris time: 2027-01-12T09:30. */
export function toParisInputValue(at: Date): string {
  const f = parisFields(at)
  const p = (n: number) => String(n).padStart(2, '0')
  return `${f.year}-${p(f.month)}-${p(f.day)}T${p(f.hour)}:${p(f.minute)}`
}

const relative = new Intl.RelativeTimeFormat('fr-FR', { numeric: 'auto' })

/**
 * « dans 3 heures », « il y a 20 minutes » within the same Paris day; otherwise by calendar days, as a
 * lawyer counts them: « demain », « hier », « avant-hier », « dans 7 jours » (never « il y a 34 heures »).
 */
export function formatRelativeFr(at: Date, now: Date = new Date()): string {
  const diff = at.getTime() - now.getTime()
  const days = Math.round((Date.parse(parisDateKey(at)) - Date.parse(parisDateKey(now))) / 86_400_000)
  if (days !== 0) return relative.format(days, 'day')
  if (Math.abs(diff) < 3600_000) return relative.format(Math.round(diff / 60_000), 'minute')
  return relative.format(Math.round(diff / 3600_000), 'hour')
}
