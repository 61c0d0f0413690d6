import { z } from 'zod'

/**
 * E-mail settings, read and validated here (not in src/lib/core/config.ts, so a wrong SMTP setting never
 * stops pages that send nothing). Errors name the variable; SMTP_URL's password is never printed.
 *
 *   SMTP_URL          smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…:465 (TLS). Required in
 *                     production; in development `npm run dev` points it at the local catcher.
 *   MAIL_FROM         "Cabinet <no-reply@example.fr>" or an address. Required in production.
 *   APP_ORIGIN        the app's public origin, for links in e-mails (required in production to send).
 *   REMINDER_OFFSETS  when reminders go out before a deadline: "7d,1d" (units s, m, h, d).
 *   REMINDER_EARLY_WINDOW  how much earlier a reminder may go out ("24h" with a daily cron); none by default.
 */

export interface MailConfig {
  /** The SMTP server's URL, credentials included; null: not configured (sending throws MailConfigError). */
  smtpUrl: string | null
  /** What to show for SMTP_URL in logs: scheme, host and port only. */
  smtpDisplay: string | null
  from: string
  /** Where links in e-mails point (no trailing slash). */
  appOrigin: string
  production: boolean
}

export class MailConfigError extends Error {
  override name = 'MailConfigError'
}

const DEV_FROM = '"IA Poste Manager" <no-reply@localhost>'
const DEV_ORIGIN = 'http://localhost:3000'

/** smtp://host:port, without user or password (for logs and errors). */
export function redactSmtpUrl(url: string): string {
  try {
    const u = new URL(url)
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''}`
  } catch {
    return '(unparseable URL)'
  }
}

const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v)

const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  SMTP_URL: z.preprocess(
    blank,
    z
      .string()
      .trim()
      .optional()
      .superRefine((v, ctx) => {
        if (v === undefined) return
        let u: URL
        try {
          u = new URL(v)
        } catch {
          // Not echoed: it may hold a password.
          ctx.addIssue({
            code: 'custom',
            message:
              'SMTP_URL must be a URL such as smtp://user:password@smtp.example.fr:587 or smtps://…:465 (the value given is not one; not shown, it may hold a password)',
          })
          return
        }
        if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:')
          ctx.addIssue({
            code: 'custom',
            message: `SMTP_URL must start with smtp:// or smtps:// (got ${u.protocol}//…)`,
          })
        else if (!u.hostname)
          ctx.addIssue({ code: 'custom', message: 'SMTP_URL must name a host, e.g. smtp://smtp.example.fr:587' })
      }),
  ),
  MAIL_FROM: z.preprocess(
    blank,
    z
      .string()
      .trim()
      .max(320)
      .optional()
      .superRefine((v, ctx) => {
        if (v === undefined) return
        const address = /<([^<>]+)>\s*$/.exec(v)?.[1] ?? v
        if (!z.email().safeParse(address.trim()).success)
          ctx.addIssue({
            code: 'custom',
            message: `MAIL_FROM must be an address or "Name <address>" (got "${v.slice(0, 60)}")`,
          })
      }),
  ),
  APP_ORIGIN: z.preprocess(
    blank,
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined) return undefined
        try {
          return new URL(v).origin
        } catch {
          ctx.addIssue({ code: 'custom', message: 'APP_ORIGIN must be a URL such as https://app.example.fr' })
          return z.NEVER
        }
      }),
  ),
})

/** Validates the e-mail settings of an environment; throws MailConfigError listing every wrong variable. */
export function parseMailConfig(env: Record<string, string | undefined> = process.env): MailConfig {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success)
    throw new MailConfigError(
      `Invalid e-mail configuration:\n  - ${parsed.error.issues.map((i) => i.message).join('\n  - ')}`,
    )
  const e = parsed.data
  const production = e.NODE_ENV === 'production'
  const missing: string[] = []
  if (production && !e.SMTP_URL)
    missing.push('SMTP_URL is required in production (e.g. smtp://user:password@smtp.example.fr:587)')
  if (production && !e.MAIL_FROM)
    missing.push('MAIL_FROM is required in production (e.g. "Cabinet Dupont <no-reply@cabinet-dupont.fr>")')
  if (production && !e.APP_ORIGIN)
    missing.push('APP_ORIGIN is required in production to put links in e-mails (e.g. https://app.cabinet-dupont.fr)')
  if (missing.length) throw new MailConfigError(`Invalid e-mail configuration:\n  - ${missing.join('\n  - ')}`)
  return {
    smtpUrl: e.SMTP_URL ?? null,
    smtpDisplay: e.SMTP_URL ? redactSmtpUrl(e.SMTP_URL) : null,
    from: e.MAIL_FROM ?? DEV_FROM,
    appOrigin: e.APP_ORIGIN ?? DEV_ORIGIN,
    production,
  }
}

let current: MailConfig | undefined

/** The process's e-mail settings, read from process.env on first use. */
export function mailConfig(): MailConfig {
  current ??= parseMailConfig()
  return current
}
