import { z } from 'zod'
import { RedisInputError } from './errors'

/**
 * The one validator of the layer's arguments (and of the app's queued payloads): parses `value` with
 * `schema` and returns the parsed value, or throws `ErrorClass` (default RedisInputError, code REDIS_INPUT) with
 * one message format everywhere, so a caller reads every bad-input error the same way:
 *
 *   `<where><path>: <message> (got <what was received>)`, issues joined with "; "
 *
 * e.g. `session.set: ttlSeconds: must be a whole number of seconds from 1 to 31622400 (got 0)`.
 * - `where` is "<operation>: <argument>", e.g. `rateLimit: windowSeconds`, `queue.push: options`;
 * - `path` locates the bad field inside the argument: `.a.b`, `[0]` for an array index;
 * - `message` is the schema's predicate, without the field's name ("must not be empty");
 * - `got` describes the received value without echoing a string: a string may be a session id or
 *   another secret, so it shows as `a 12-character string` (see describeReceived).
 * Runs before any Redis call, so bad input never writes anything.
 */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  where: string,
  ErrorClass: new (message: string) => Error = RedisInputError,
): z.output<S> {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  throw new ErrorClass(formatIssues(parsed.error.issues, value, where))
}

/** The message parseInput throws for these issues. */
function formatIssues(issues: readonly z.core.$ZodIssue[], value: unknown, where: string): string {
  return issues
    .map((issue) => {
      // An unknown key's issue is about the whole object (its path is the object's): describing it says nothing.
      const got = issue.code === 'unrecognized_keys' ? '' : ` (got ${describeReceived(valueAt(value, issue.path))})`
      return `${where}${formatPath(issue.path)}: ${issue.message}${got}`
    })
    .join('; ')
}

/** A zod path as the caller would write it after the argument: `.a.b`, `[0]` for an index. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('')
}

/** The value at a zod path (undefined where the path leads nowhere, which is what zod received there). */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value
  for (const k of path) {
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null) return undefined
    v = (v as Record<PropertyKey, unknown>)[k]
  }
  return v
}

/**
 * What an error message may say about a received value: numbers, booleans, null and undefined as
 * themselves; a string only by its length (never its text: it may be a session id, a token, a
 * tenant's data); anything else by its kind.
 */
function describeReceived(v: unknown): string {
  if (typeof v === 'string') return v.length === 0 ? 'an empty string' : `a ${v.length}-character string`
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return String(v)
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'bigint') return 'a bigint'
  if (typeof v === 'function') return 'a function'
  if (typeof v === 'symbol') return 'a symbol'
  return 'an object'
}

/**
 * The longest TTL or window any helper accepts, in seconds: a year (366 days, so a leap year fits).
 * Longer is almost always milliseconds passed as seconds.
 */
export const MAX_TTL_SECONDS = 366 * 24 * 3600

/**
 * The one schema of a lifetime in seconds (session TTLs, rate-limit windows, cache TTLs and
 * stale-while-revalidate): a whole number from `min` to MAX_TTL_SECONDS, so every helper has the same
 * limits and says the same thing. One issue per value; above the maximum it adds the likely mistake.
 */
export function ttlSecondsSchema({ min }: { min: 0 | 1 }): z.ZodType<number> {
  const expected = `must be a whole number of seconds from ${min} to ${MAX_TTL_SECONDS}`
  return z.number({ error: expected }).refine((n) => Number.isInteger(n) && n >= min && n <= MAX_TTL_SECONDS, {
    error: (issue) =>
      typeof issue.input === 'number' && issue.input > MAX_TTL_SECONDS
        ? `${expected} (366 days): it is in seconds, not ms`
        : expected,
  })
}

/**
 * The `error` of an options object built with z.strictObject: names the unknown keys (a typo such as
 * `retries` is then not silently ignored) and says what a non-object should have been.
 */
export const optionsObjectError = {
  error: (issue: z.core.$ZodRawIssue): string =>
    issue.code === 'unrecognized_keys'
      ? `has ${issue.keys.length === 1 ? 'an unknown key' : 'unknown keys'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`
      : 'expected an object',
}

/** A key name given to sortedSet/hashMap (the layer adds its own prefix in front). */
export const keyNameSchema = z
  .string({ error: 'expected a string' })
  .min(1, 'must not be empty')
  .max(1024, 'must be at most 1024 characters')
