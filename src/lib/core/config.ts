import { z } from 'zod'

/**
 * The app's own settings (sessions, rate limits, client addresses), read and validated from the
 * environment in this one place. The Redis layer's settings live in src/redis/core/config.ts, which
 * stays usable without the app. Errors name the variable and what was expected.
 */

// ---- the shapes of environment variables, shared with src/lib/usage/config.ts: one message format,
// naming the variable and what was expected ----------------------------------------------------------

/** A whole number from `min` to `max` (digits only: "5e5", "500 000" or "1.5" are refused, not guessed at); empty → `fallback`. */
export const intVar = (name: string, fallback: number, [min, max]: readonly [number, number], unit?: string) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      const v = raw?.trim()
      if (v === undefined || v === '') return fallback
      const n = /^\d+$/.test(v) ? Number(v) : Number.NaN
      if (!Number.isSafeInteger(n) || n < min || n > max) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a whole number ${unit ? `of ${unit} ` : ''}from ${min} to ${max} (got "${v.slice(0, 40)}")`,
        })
        return z.NEVER
      }
      return n
    })

/** "true"/"false" (also 1/0, yes/no); unset or empty → undefined, so the caller picks the default. */
export const boolVar = (name: string) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''], { error: `${name} must be "true" or "false"` })
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v === 'true' || v === '1' || v === 'yes'))

/** A secret of at least `minLength` characters; its value never appears in an error, only its length. Unset or empty → undefined. */
export const secretVar = (name: string, minLength: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined
      if (v.length < minLength) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be at least ${minLength} characters (got ${v.length}); e.g. \`openssl rand -hex 32\``,
        })
        return z.NEVER
      }
      return v
    })

// ---- the app's settings ---------------------------------------------------------------------------

const YEAR = 366 * 24 * 3600

const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  /** Vercel sets VERCEL=1; its edge overwrites X-Forwarded-For and X-Real-IP with the real client address. */
  VERCEL: z.string().optional(),
  /** Set by scripts/serve.ts for its own process only (a fresh random value per start), never by hand. */
  IAPM_SERVER_STAMP: z.string().optional(),
  CRON_SECRET: secretVar('CRON_SECRET', 16),
  ALLOW_DEMO_ACCOUNTS: boolVar('ALLOW_DEMO_ACCOUNTS'),
  ANALYSIS_AFTER_RESPONSE: boolVar('ANALYSIS_AFTER_RESPONSE'),
  ANALYSIS_DRAIN_SECONDS: intVar('ANALYSIS_DRAIN_SECONDS', 45, [1, 800]),
  ANALYSIS_MAX_PENDING_PER_CABINET: intVar('ANALYSIS_MAX_PENDING_PER_CABINET', 20, [1, 100_000]),
  ANALYSIS_RATE_LIMIT_MAX: intVar('ANALYSIS_RATE_LIMIT_MAX', 30, [1, 1_000_000]),
  ANALYSIS_RATE_LIMIT_WINDOW_SECONDS: intVar('ANALYSIS_RATE_LIMIT_WINDOW_SECONDS', 600, [1, YEAR]),
  SESSION_TTL_SECONDS: intVar('SESSION_TTL_SECONDS', 8 * 3600, [60, 30 * 24 * 3600]),
  SESSION_RECHECK_SECONDS: intVar('SESSION_RECHECK_SECONDS', 60, [1, 3600]),
  SESSION_MAX_LIFETIME_SECONDS: intVar('SESSION_MAX_LIFETIME_SECONDS', 7 * 24 * 3600, [60, 90 * 24 * 3600]),
  SESSION_SECRET: secretVar('SESSION_SECRET', 32),
  RATE_LIMIT_MAX: intVar('RATE_LIMIT_MAX', 100, [1, 1_000_000]),
  RATE_LIMIT_WINDOW_SECONDS: intVar('RATE_LIMIT_WINDOW_SECONDS', 900, [1, YEAR]),
  PAGE_RATE_LIMIT_MAX: intVar('PAGE_RATE_LIMIT_MAX', 1500, [1, 1_000_000]),
  LOGIN_MAX_PER_EMAIL: intVar('LOGIN_MAX_PER_EMAIL', 50, [1, 100_000]),
  LOGIN_MAX_PER_EMAIL_AND_ADDRESS: intVar('LOGIN_MAX_PER_EMAIL_AND_ADDRESS', 10, [1, 10_000]),
  LOGIN_MAX_PER_ADDRESS: intVar('LOGIN_MAX_PER_ADDRESS', 20, [1, 100_000]),
  LOGIN_WINDOW_SECONDS: intVar('LOGIN_WINDOW_SECONDS', 900, [1, YEAR]),
  TRUSTED_PROXY_HOPS: intVar('TRUSTED_PROXY_HOPS', 0, [0, 10]),
  DOSSIER_CACHE_TTL_SECONDS: intVar('DOSSIER_CACHE_TTL_SECONDS', 300, [0, 7 * 24 * 3600]),
  PLATFORM_ADMIN_EMAILS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return []
      const emails = v
        .split(',')
        .map((e) => e.trim().toLowerCase())
        .filter((e) => e !== '')
      const wrong = emails.filter((e) => !z.email().safeParse(e).success)
      if (wrong.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `PLATFORM_ADMIN_EMAILS must be e-mail addresses separated by commas (not one: "${wrong[0]!.slice(0, 60)}")`,
        })
        return z.NEVER
      }
      return emails
    }),
  APP_ORIGIN: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return undefined
      try {
        return new URL(v).origin
      } catch {
        ctx.addIssue({ code: 'custom', message: 'APP_ORIGIN must be a URL such as https://app.example.fr' })
        return z.NEVER
      }
    }),
})

/** The validated settings of the app. */
export interface AppConfig {
  production: boolean
  /** Server-side session lifetime, restarted by every authenticated request (sliding expiry). */
  sessionTtlSeconds: number
  /**
   * How long an instance trusts what it read of a session's user (role, cabinet, active) before reading
   * the database again: the bound on how late a change made outside the app reaches live sessions.
   */
  sessionRecheckMs: number
  /** Absolute bound on a session's life, however active: then the user logs in again. */
  sessionMaxLifetimeSeconds: number
  /**
   * Signs session ids in their cookie, so a forged or random cookie is refused without asking Redis.
   * Required in production; outside it a fixed development value (the signature is a filter, not the
   * secret: a session still needs its unguessable id to exist in Redis).
   */
  sessionSecret: string | undefined
  /** The API budget per caller (user id when logged in, else client address); server actions (form writes) count in it too. */
  apiRateLimit: { limit: number; windowSeconds: number }
  /**
   * Page views per logged-in user per RATE_LIMIT_WINDOW_SECONDS, Next's link prefetches included (a
   * list of 50 dossiers prefetches up to 50 links): sized for a day's real browsing, not a script's.
   */
  pageRateLimit: { limit: number; windowSeconds: number }
  /**
   * Login attempts allowed in `windowSeconds`: per e-mail from one address (a guesser), per address
   * (one guesser, many e-mails) and per e-mail from all addresses (many guessers, one account; set
   * higher, since anyone can spend it and lock the account's owner out until the window ends).
   */
  loginRateLimit: { perEmailAndAddress: number; perEmail: number; perAddress: number; windowSeconds: number }
  /**
   * Where the client address comes from. 'platform': the host (Vercel) overwrites X-Real-IP and
   * X-Forwarded-For with the client's. 'server': scripts/serve.ts resolved it from the socket and
   * TRUSTED_PROXY_HOPS, wrote it into X-Forwarded-For and stamped the request with `serverStamp`.
   * 'none': a plain `next start` keeps whatever the client sent, so no address can be trusted and
   * anonymous callers share one rate-limit key (said loudly at start).
   */
  clientAddressSource: ClientAddressSource
  /** The per-process secret scripts/serve.ts stamps every request with (undefined elsewhere). */
  serverStamp: string | undefined
  /** Bearer token of GET /api/cron/analysis (Vercel sends CRON_SECRET itself); undefined: the route refuses in production. */
  cronSecret: string | undefined
  /** The demo accounts (src/lib/demo/demo-data.ts) may log in: always in development, in production only with ALLOW_DEMO_ACCOUNTS=true. */
  allowDemoAccounts: boolean
  /**
   * Analyses run right after the response that queued them (Next's after()), for hosts with no
   * long-running worker: ANALYSIS_AFTER_RESPONSE, default on when VERCEL=1.
   */
  analysisAfterResponse: boolean
  /** How long one after() or cron run may spend on analyses (a function's maxDuration minus a margin). */
  analysisDrainMs: number
  /**
   * Analyses a cabinet may have pending (QUEUED or RUNNING) at once; one more is refused (429) and
   * nothing is queued: one cabinet cannot pile up work that the others' analyses wait behind.
   */
  analysisMaxPendingPerCabinet: number
  /** Analysis requests allowed per user in `windowSeconds` (a retry of a pending one counts too). */
  analysisRateLimit: { limit: number; windowSeconds: number }
  /** Proxies in front of scripts/serve.ts that append to X-Forwarded-For (0: clients connect directly). */
  trustedProxyHops: number
  /** An extra origin allowed to send state-changing requests (the app's public URL behind a proxy). */
  appOrigin: string | undefined
  /** How long dossier reads stay cached; 0 turns the dossier cache off (every read BYPASS, from the database). */
  dossierCacheTtlSeconds: number
  /**
   * The platform's operators (lower-case e-mails): only they see platform-wide figures (the Redis queue,
   * Upstash usage, the cache hit rate). Empty (PLATFORM_ADMIN_EMAILS unset): nobody does.
   */
  platformAdminEmails: readonly string[]
}

/** Outside production only: cookies signed with it mean nothing elsewhere. */
const DEVELOPMENT_SESSION_SECRET = 'iapm-development-only-session-secret-never-in-production'

export type ClientAddressSource = 'platform' | 'server' | 'none'

/** Thrown for an invalid environment; the message lists every wrong variable. */
export class AppConfigError extends Error {
  override name = 'AppConfigError'
}

/** Validates an environment (process.env by default) into an AppConfig, or throws AppConfigError. */
export function parseAppConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    throw new AppConfigError(
      `Invalid app configuration:\n  - ${parsed.error.issues.map((i) => i.message).join('\n  - ')}`,
    )
  }
  const e = parsed.data
  return {
    production: e.NODE_ENV === 'production',
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    sessionMaxLifetimeSeconds: e.SESSION_MAX_LIFETIME_SECONDS,
    sessionRecheckMs: e.SESSION_RECHECK_SECONDS * 1000,
    sessionSecret: e.SESSION_SECRET ?? (e.NODE_ENV === 'production' ? undefined : DEVELOPMENT_SESSION_SECRET),
    apiRateLimit: { limit: e.RATE_LIMIT_MAX, windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS },
    pageRateLimit: { limit: e.PAGE_RATE_LIMIT_MAX, windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS },
    loginRateLimit: {
      perEmailAndAddress: e.LOGIN_MAX_PER_EMAIL_AND_ADDRESS,
      perEmail: e.LOGIN_MAX_PER_EMAIL,
      perAddress: e.LOGIN_MAX_PER_ADDRESS,
      windowSeconds: e.LOGIN_WINDOW_SECONDS,
    },
    clientAddressSource: e.VERCEL === '1' ? 'platform' : e.IAPM_SERVER_STAMP ? 'server' : 'none',
    serverStamp: e.IAPM_SERVER_STAMP || undefined,
    cronSecret: e.CRON_SECRET,
    allowDemoAccounts: e.NODE_ENV !== 'production' || e.ALLOW_DEMO_ACCOUNTS === true,
    analysisAfterResponse: e.ANALYSIS_AFTER_RESPONSE ?? e.VERCEL === '1',
    analysisDrainMs: e.ANALYSIS_DRAIN_SECONDS * 1000,
    analysisMaxPendingPerCabinet: e.ANALYSIS_MAX_PENDING_PER_CABINET,
    analysisRateLimit: { limit: e.ANALYSIS_RATE_LIMIT_MAX, windowSeconds: e.ANALYSIS_RATE_LIMIT_WINDOW_SECONDS },
    trustedProxyHops: e.TRUSTED_PROXY_HOPS,
    appOrigin: e.APP_ORIGIN,
    dossierCacheTtlSeconds: e.DOSSIER_CACHE_TTL_SECONDS,
    platformAdminEmails: e.PLATFORM_ADMIN_EMAILS,
  }
}

let current: AppConfig | undefined

/** The process's app configuration, read from process.env on first use. */
export function appConfig(): AppConfig {
  current ??= parseAppConfig()
  return current
}
