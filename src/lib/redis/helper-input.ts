import { z } from 'zod'
import { RedisInputError } from './errors'

/**
 * Validates a helper's arguments with zod and turns a failure into a RedisInputError whose message
 * names the argument (and the field inside it) and what was expected. Runs before any Redis call,
 * so bad input never writes anything.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.map((i) => {
    const path = i.path.length ? `${what}.${i.path.join('.')}` : what
    return `${path}: ${i.message}`
  })
  throw new RedisInputError(issues.join('; '))
}

/**
 * The longest TTL or window any helper accepts, in seconds: a year (366 days, so a leap year fits).
 * Longer is almost always milliseconds passed as seconds.
 */
export const MAX_TTL_SECONDS = 366 * 24 * 3600

/** A key name given to sortedSet/hashMap (the layer adds its own prefix in front). */
export const keyNameSchema = z
  .string({ error: 'expected a string' })
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters')
