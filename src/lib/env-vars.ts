import { z } from 'zod'

/**
 * The zod shapes of the app's environment variables (src/lib/config.ts, src/lib/usage/config.ts): one
 * message format, naming the variable and what was expected. The Redis layer keeps its own
 * (src/redis/core/config.ts), so that it stays usable without the app.
 */

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
