import { AppConfigError, parseAppConfig } from '@/lib/core/config'
import { databaseConfig, DatabaseConfigError } from '@/lib/core/database'
import { MailConfigError, parseMailConfig } from '@/lib/mail/config'
import { ConfigError, parseConfig } from '@/lib/upstash-config'

/**
 * What a process checks before it serves (scripts/serve.ts, Next's instrumentation hook for a plain
 * `next start` or Vercel, the worker): every setting read and validated at once, so a production
 * server that cannot work refuses to start, naming each variable, instead of printing "ready" and
 * answering 503 to every login. Values of secrets never appear.
 */
export interface StartupReport {
  /** Each makes the process refuse to start. */
  errors: string[]
  /** Worth saying loudly, not worth refusing. */
  warnings: string[]
}

/** Thrown by assertReadyToStart; its message lists every error. */
export class StartupConfigError extends Error {
  override name = 'StartupConfigError'
  constructor(readonly errors: string[]) {
    super(
      `Refusing to start: the configuration is incomplete or invalid:\n  - ${errors.join('\n  - ')}\n(see .env.example and docs/deploy.md)`,
    )
  }
}

/** Checks the environment for a server (`role: 'server'`) or the worker (analyses and e-mail). */
export function checkStartup(
  env: Record<string, string | undefined> = process.env,
  role: 'server' | 'worker' = 'server',
): StartupReport {
  const errors: string[] = []
  const warnings: string[] = []
  const production = env.NODE_ENV === 'production'

  try {
    const redis = parseConfig(env)
    if (!redis.enabled)
      warnings.push(
        'REDIS_ENABLED=false: sessions and rate limits live in this one process, the cache is off and analyses cannot be queued',
      )
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    // Outside production a missing Redis is the developer's to fix (npm run dev provides one); a wrong value is still wrong.
    ;(production ? errors : warnings).push(...err.issues)
  }

  try {
    const app = parseAppConfig(env)
    if (production && !app.sessionSecret) {
      errors.push(
        role === 'server'
          ? 'SESSION_SECRET is required in production (at least 32 random characters, e.g. `openssl rand -hex 32`; the same on every instance): it signs session cookies'
          : 'SESSION_SECRET is required by the worker in production (the same value as the app servers): it opens the invitation and password-reset links sealed in queued e-mails',
      )
    }
    if (production && role === 'server') {
      if (app.clientAddressSource === 'none') {
        warnings.push(
          'No trusted client address: this is neither scripts/serve.ts (`npm start`) nor Vercel (VERCEL=1), so X-Forwarded-For is whatever the client sent. Anonymous callers therefore share ONE rate-limit key ("unverified"), and login limits per address do not tell them apart. Serve with `npm start` (TRUSTED_PROXY_HOPS behind a proxy), or on Vercel.',
        )
      }
      if (!app.cronSecret)
        warnings.push(
          'CRON_SECRET is not set: GET /api/cron/analysis answers 503 (set it to at least 16 random characters; Vercel Cron sends it)',
        )
      if (app.allowDemoAccounts)
        warnings.push(
          'ALLOW_DEMO_ACCOUNTS=true: the demo accounts (password "demo-password") can log in to this production server',
        )
    }
  } catch (err) {
    if (!(err instanceof AppConfigError)) throw err
    errors.push(
      ...err.message
        .split('\n')
        .slice(1)
        .map((l) => l.replace(/^\s*-\s*/, '')),
    )
  }

  // Both send e-mail (the worker's loop; after() and the cron route on a server): SMTP_URL, MAIL_FROM and
  // APP_ORIGIN in production. The messages name the variable and never echo SMTP_URL (it holds a password).
  try {
    const mail = parseMailConfig(env)
    if (!production && !mail.smtpUrl)
      warnings.push(
        'SMTP_URL is not set: e-mails (reminders, invitations, password resets) wait in the queue and fail (`npm run dev` starts a local catcher and sets it)',
      )
  } catch (err) {
    if (!(err instanceof MailConfigError)) throw err
    ;(production ? errors : warnings).push(
      ...err.message
        .split('\n')
        .slice(1)
        .map((l) => l.replace(/^\s*-\s*/, '')),
    )
  }

  try {
    databaseConfig(env) // no default in production; opens nothing
  } catch (err) {
    if (!(err instanceof DatabaseConfigError)) throw err
    errors.push(...err.issues)
  }
  return { errors, warnings }
}

/** Prints the warnings, then throws StartupConfigError when there is any error. */
export function assertReadyToStart(
  env: Record<string, string | undefined> = process.env,
  role: 'server' | 'worker' = 'server',
  log: (line: string) => void = console.warn,
): void {
  const { errors, warnings } = checkStartup(env, role)
  for (const w of warnings) log(`[config] WARNING: ${w}`)
  if (errors.length > 0) throw new StartupConfigError(errors)
}

/**
 * What serve.ts, the worker and the instrumentation hook do before starting: prints the warnings and,
 * when the configuration cannot work, the error (every variable named); returns that error, or
 * undefined when the process may start.
 */
export function refusalToStart(
  role: 'server' | 'worker',
  env: Record<string, string | undefined> = process.env,
): StartupConfigError | undefined {
  try {
    assertReadyToStart(env, role)
    return undefined
  } catch (err) {
    if (!(err instanceof StartupConfigError)) throw err
    console.error(err.message)
    return err
  }
}
