import { z } from 'zod'

/**
 * The app's own settings (sessions, rate limits, client addresses), read and validated from the
 * environment in this one place. The Redis layer's settings live in src/lib/redis/config.ts, which
 * stays usable without the app. Errors name the variable and what was expected.
 */

const int = (name: string, fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback
      const n = Number(v)
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max} (got "${v.slice(0, 40)}")` })
        return z.NEVER
      }
      return n
    })

const YEAR = 366 * 24 * 3600

const envSchema = z.object({
  NODE_ENV: z.string().optional(),
  /** Vercel sets VERCEL=1; its edge overwrites X-Forwarded-For with the real client address. */
  VERCEL: z.string().optional(),
  SESSION_TTL_SECONDS: int('SESSION_TTL_SECONDS', 8 * 3600, 60, 30 * 24 * 3600),
  RATE_LIMIT_MAX: int('RATE_LIMIT_MAX', 100, 1, 1_000_000),
  RATE_LIMIT_WINDOW_SECONDS: int('RATE_LIMIT_WINDOW_SECONDS', 900, 1, YEAR),
  LOGIN_MAX_PER_EMAIL: int('LOGIN_MAX_PER_EMAIL', 50, 1, 100_000),
  LOGIN_MAX_PER_EMAIL_AND_ADDRESS: int('LOGIN_MAX_PER_EMAIL_AND_ADDRESS', 10, 1, 10_000),
  LOGIN_MAX_PER_ADDRESS: int('LOGIN_MAX_PER_ADDRESS', 20, 1, 100_000),
  LOGIN_WINDOW_SECONDS: int('LOGIN_WINDOW_SECONDS', 900, 1, YEAR),
  TRUSTED_PROXY_HOPS: int('TRUSTED_PROXY_HOPS', 0, 0, 10),
  DOSSIER_CACHE_TTL_SECONDS: int('DOSSIER_CACHE_TTL_SECONDS', 300, 0, 7 * 24 * 3600),
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
  /** The API budget per caller (user id when logged in, else client address). */
  apiRateLimit: { limit: number; windowSeconds: number }
  /**
   * Login attempts allowed in `windowSeconds`: per e-mail from one address (a guesser), per address
   * (one guesser, many e-mails) and per e-mail from all addresses (many guessers, one account; set
   * higher, since anyone can spend it and lock the account's owner out until the window ends).
   */
  loginRateLimit: { perEmailAndAddress: number; perEmail: number; perAddress: number; windowSeconds: number }
  /**
   * Where the client address comes from. 'platform': the host (Vercel) overwrites X-Forwarded-For,
   * its first hop is the client. 'server': scripts/serve.ts resolved it from the socket and
   * TRUSTED_PROXY_HOPS and wrote it into X-Forwarded-For, replacing whatever the client sent.
   */
  clientAddressSource: 'platform' | 'server'
  /** Proxies in front of scripts/serve.ts that append to X-Forwarded-For (0: clients connect directly). */
  trustedProxyHops: number
  /** An extra origin allowed to send state-changing requests (the app's public URL behind a proxy). */
  appOrigin: string | undefined
  /** How long dossier reads stay cached; 0 turns the dossier cache off (every read BYPASS, from the database). */
  dossierCacheTtlSeconds: number
}

/** Thrown for an invalid environment; the message lists every wrong variable. */
export class AppConfigError extends Error {
  override name = 'AppConfigError'
}

/** Validates an environment (process.env by default) into an AppConfig, or throws AppConfigError. */
export function parseAppConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    throw new AppConfigError(`Invalid app configuration:\n  - ${parsed.error.issues.map((i) => i.message).join('\n  - ')}`)
  }
  const e = parsed.data
  return {
    production: e.NODE_ENV === 'production',
    sessionTtlSeconds: e.SESSION_TTL_SECONDS,
    apiRateLimit: { limit: e.RATE_LIMIT_MAX, windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS },
    loginRateLimit: {
      perEmailAndAddress: e.LOGIN_MAX_PER_EMAIL_AND_ADDRESS,
      perEmail: e.LOGIN_MAX_PER_EMAIL,
      perAddress: e.LOGIN_MAX_PER_ADDRESS,
      windowSeconds: e.LOGIN_WINDOW_SECONDS,
    },
    clientAddressSource: e.VERCEL === '1' ? 'platform' : 'server',
    trustedProxyHops: e.TRUSTED_PROXY_HOPS,
    appOrigin: e.APP_ORIGIN,
    dossierCacheTtlSeconds: e.DOSSIER_CACHE_TTL_SECONDS,
  }
}

let current: AppConfig | undefined

/** The process's app configuration, read from process.env on first use. */
export function appConfig(): AppConfig {
  current ??= parseAppConfig()
  return current
}
