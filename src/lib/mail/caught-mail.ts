import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/**
 * The development mail catcher's store: the last messages it received, in a JSON file under .data/
 * (git-ignored) so the dev-only page (served by another process than the catcher's) can list them.
 * No SMTP code here: a page importing listCaughtMail pulls in nothing but node:fs.
 */

export interface CaughtMail {
  id: string
  /** ISO 8601. */
  receivedAt: string
  from: string
  to: string[]
  subject: string
  text: string
  /** The HTML part as sent: show it in a sandboxed iframe (`sandbox=""` + srcdoc), never inline. */
  html: string | null
}

export const CAUGHT_MAIL_FILE = path.resolve(process.cwd(), '.data', 'caught-mail.json')

/** Messages kept (MAIL_CATCHER_KEEP, default 50): the newest. */
export function caughtMailLimit(env: Record<string, string | undefined> = process.env): number {
  const raw = env.MAIL_CATCHER_KEEP?.trim()
  if (!raw) return 50
  const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(n) || n < 1 || n > 1000)
    throw new Error(`MAIL_CATCHER_KEEP must be a whole number from 1 to 1000 (got "${raw.slice(0, 20)}")`)
  return n
}

/** The caught messages, newest first ([] when the catcher has not run or caught nothing). */
export function listCaughtMail(file: string = CAUGHT_MAIL_FILE): CaughtMail[] {
  if (!existsSync(file)) return []
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown
    return Array.isArray(parsed) ? (parsed as CaughtMail[]) : []
  } catch {
    return [] // being rewritten, or damaged: the next message rewrites it whole
  }
}

/** Adds a message, keeping the newest `keep`; written to a temporary file then renamed, so a reader never sees half a file. */
export function storeCaughtMail(mail: CaughtMail, keep: number, file: string = CAUGHT_MAIL_FILE): void {
  const all = [mail, ...listCaughtMail(file)].slice(0, keep)
  mkdirSync(path.dirname(file), { recursive: true })
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 })
  renameSync(tmp, file)
}
