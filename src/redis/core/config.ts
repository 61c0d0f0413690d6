import { z } from 'zod'
import { RedisLayerError } from './errors'

/**
 * The one place that reads and validates the Redis layer's environment.
 * Errors name the variable and what was expected; the token's value is never echoed.
 */
const bool = (name: string, fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: `${name} must be "true" or "false"` })
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1' || v === 'yes'))

const int = (name: string, fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback
      const n = Number(v)
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number from ${min} to ${max}` })
        return z.NEVER
      }
      return n
    })

const restUrl = (name: string) =>
  z
    .string()
    .url({ error: `${name} must be a URL like https://<name>.upstash.io or http://127.0.0.1:8079` })
    .refine((u) => /^https?:\/\//.test(u), { error: `${name} must start with http:// or https://` })
    .optional()

/**
 * The REST URL and token come as a pair, under one of two names: Upstash's own (UPSTASH_REDIS_REST_*,
 * the guide's) or those Vercel's Upstash integration injects (KV_REST_API_*). UPSTASH_* win; a pair is
 * never mixed (a URL of one database with the token of another would only fail later, as a 401).
 */
export const CREDENTIAL_PAIRS = [
  { url: 'UPSTASH_REDIS_REST_URL', token: 'UPSTASH_REDIS_REST_TOKEN' },
  { url: 'KV_REST_API_URL', token: 'KV_REST_API_TOKEN' },
] as const
export type CredentialSource = (typeof CREDENTIAL_PAIRS)[number]['url']

/** REDIS_TIMEOUT_MS when unset: the per-call bound on a Redis round trip, in ms. */
export const DEFAULT_TIMEOUT_MS = 1000

const envSchema = z
  .object({
    NODE_ENV: z.string().optional(),
    REDIS_ENABLED: bool('REDIS_ENABLED', true),
    UPSTASH_REDIS_REST_URL: restUrl('UPSTASH_REDIS_REST_URL'),
    // A token's value never appears in an error: only whether it is present.
    UPSTASH_REDIS_REST_TOKEN: z.string({ error: 'UPSTASH_REDIS_REST_TOKEN must be a string' }).optional(),
    KV_REST_API_URL: restUrl('KV_REST_API_URL'),
    KV_REST_API_TOKEN: z.string({ error: 'KV_REST_API_TOKEN must be a string' }).optional(),
    UPSTASH_DISABLE_TELEMETRY: bool('UPSTASH_DISABLE_TELEMETRY', false),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,32}$/, { error: 'REDIS_KEY_PREFIX must be 1-32 letters, digits, "_", "." or "-"' })
      .default('iapm'),
    REDIS_TIMEOUT_MS: int('REDIS_TIMEOUT_MS', DEFAULT_TIMEOUT_MS, 50, 10_000),
    REDIS_RETRIES: int('REDIS_RETRIES', 2, 0, 5),
    RATE_LIMIT_FAILURE_POLICY: z
      .enum(['open', 'closed'], { error: 'RATE_LIMIT_FAILURE_POLICY must be "open" or "closed"' })
      .default('open'),
    REDIS_DISABLED_ALLOW_PRODUCTION: bool('REDIS_DISABLED_ALLOW_PRODUCTION', false),
  })
  .superRefine((env, ctx) => {
    if (!env.REDIS_ENABLED) {
      if (env.NODE_ENV === 'production' && !env.REDIS_DISABLED_ALLOW_PRODUCTION) {
        ctx.addIssue({
          code: 'custom',
          path: ['REDIS_ENABLED'],
          message:
            'REDIS_ENABLED=false keeps sessions and rate limits in one process only; production refuses it unless REDIS_DISABLED_ALLOW_PRODUCTION=true',
        })
      }
      return
    }
    const pair = chosenPair(env)
    if (!pair) {
      ctx.addIssue({
        code: 'custom',
        path: ['UPSTASH_REDIS_REST_URL'],
        message:
          "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are required when REDIS_ENABLED is not false (or KV_REST_API_URL and KV_REST_API_TOKEN, as set by Vercel's Upstash integration; `npm run redis:local` for a local endpoint)",
      })
      return
    }
    if (!env[pair.url])
      ctx.addIssue({ code: 'custom', path: [pair.url], message: `${pair.url} is required when ${pair.token} is set` })
    if (!env[pair.token])
      ctx.addIssue({ code: 'custom', path: [pair.token], message: `${pair.token} is required when ${pair.url} is set` })
  })

/** The pair in use: the first with either of its variables set (UPSTASH_* before KV_*). */
function chosenPair(env: Partial<Record<(typeof CREDENTIAL_PAIRS)[number]['url' | 'token'], string>>) {
  return CREDENTIAL_PAIRS.find((p) => env[p.url] || env[p.token])
}

/** The validated settings of the Redis layer. */
export interface RedisConfig {
  enabled: boolean
  url: string | undefined
  token: string | undefined
  /** Which pair of variables the URL and token came from (undefined when Redis is disabled or unset). */
  credentialSource: CredentialSource | undefined
  disableTelemetry: boolean
  /** Prepended to every key the helpers write (`<prefix>:<helper>:…`). */
  keyPrefix: string
  /** Per-call bound on a Redis round trip, retries included. */
  timeoutMs: number
  /** Extra attempts after a network error (not after a timeout). */
  retries: number
  /** What `session.rateLimit` answers when Redis is unreachable, unless the call says otherwise. */
  rateLimitFailurePolicy: 'open' | 'closed'
  production: boolean
}

/** Thrown for an invalid environment; `issues` lists every wrong variable. */
export class ConfigError extends RedisLayerError {
  override name = 'ConfigError'
  readonly code = 'REDIS_CONFIG'
  constructor(readonly issues: string[]) {
    super(`Invalid Redis configuration:\n  - ${issues.join('\n  - ')}`)
  }
}

/** Validates an environment (process.env by default) into a RedisConfig, or throws ConfigError. */
export function parseConfig(env: Record<string, string | undefined> = process.env): RedisConfig {
  const parsed = envSchema.safeParse(env)
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = i.path.join('.')
        return i.message.includes(name) || !name ? i.message : `${name}: ${i.message}`
      }),
    )
  }
  const e = parsed.data
  const pair = e.REDIS_ENABLED ? chosenPair(e) : undefined
  return {
    enabled: e.REDIS_ENABLED,
    url: pair ? e[pair.url] : undefined,
    token: pair ? e[pair.token] : undefined,
    credentialSource: pair?.url,
    disableTelemetry: e.UPSTASH_DISABLE_TELEMETRY,
    keyPrefix: e.REDIS_KEY_PREFIX,
    timeoutMs: e.REDIS_TIMEOUT_MS,
    retries: e.REDIS_RETRIES,
    rateLimitFailurePolicy: e.RATE_LIMIT_FAILURE_POLICY,
    production: e.NODE_ENV === 'production',
  }
}

let current: RedisConfig | undefined

/** The process's configuration, read from process.env on first use. */
export function getConfig(): RedisConfig {
  current ??= parseConfig()
  return current
}

/**
 * REDIS_TIMEOUT_MS, or its default when the configuration is broken: a budget or a background task
 * still needs a bound, and the broken configuration is reported by the first Redis call itself.
 */
export function configuredTimeoutMs(): number {
  try {
    return getConfig().timeoutMs
  } catch {
    return DEFAULT_TIMEOUT_MS
  }
}
