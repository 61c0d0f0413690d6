import { z } from 'zod'
import { hashPassword as defaultHashPassword } from '@/lib/auth/password'
import { appConfig } from '@/lib/core/config'
import { HttpError } from '@/lib/core/http-error'
import { mailConfig, type MailConfig } from '@/lib/mail/config'
import { outbox as defaultOutbox, type Outbox } from '@/lib/mail/outbox'
import { rateLimit as defaultRateLimit, type RateLimitFn } from '@/lib/upstash'
import { tokenStore as defaultTokens, type TokenStore } from './tokens'

/** Shapes and errors shared by invitations and password resets. */

export const emailSchema = z
  .string({ error: 'email must be a string' })
  .trim()
  .toLowerCase()
  .max(254, { error: 'email must be at most 254 characters' })
  .pipe(z.email({ error: 'email must be an e-mail address' }))

/** A new password: at least 10 characters (a passphrase is welcome), at most what login accepts. */
export const newPasswordSchema = z
  .string({ error: 'password must be a string' })
  .min(10, { error: 'password must be at least 10 characters' })
  .max(1024, { error: 'password must be at most 1024 characters' })

export const tokenSchema = z
  .string({ error: 'token must be a string' })
  .regex(/^[A-Za-z0-9_-]{43}$/, { error: 'token is not a valid link token' })

export class BadRequest extends HttpError {
  constructor(message: string) {
    super(400, message)
  }
}

/** A Redis failure while handling a token: the route answers 503 rather than pretending it worked. */
export function unavailable(what: string): HttpError {
  return new HttpError(503, `${what} is unavailable for a moment (session store unreachable); try again shortly`, {
    'retry-after': '5',
  })
}

/** What invitations and password resets both depend on; each left out is the app's. */
export interface AccountDeps {
  tokens?: TokenStore
  outbox?: Outbox
  rateLimit?: RateLimitFn
  config?: () => Pick<MailConfig, 'appOrigin'>
  sealSecret?: () => string
  hashPassword?: (password: string) => Promise<string>
  now?: () => number
}

/** The dependencies given, the app's defaults for the others. */
export function accountDefaults(deps: AccountDeps) {
  return {
    tokens: deps.tokens ?? defaultTokens,
    outbox: deps.outbox ?? defaultOutbox,
    limiter: deps.rateLimit ?? defaultRateLimit,
    config: deps.config ?? mailConfig,
    secret: deps.sealSecret ?? (() => appConfig().sessionSecret ?? ''),
    hash: deps.hashPassword ?? defaultHashPassword,
    now: deps.now ?? Date.now,
  }
}
