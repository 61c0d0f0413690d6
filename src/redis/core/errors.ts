import { transportStatus } from './transport'

/**
 * What went wrong, for code that must decide (an HTTP status, a retry, a failure policy). The layer
 * says what happened, not how to answer it: the app maps codes to statuses (src/lib/request/http.ts).
 * - REDIS_UNAVAILABLE: Redis could not be reached in time; the command did not run.
 * - REDIS_OUTCOME_UNKNOWN: the command was sent, its answer never came: it may have run.
 * - REDIS_BUDGET_SPENT: the request's (or operation's) Redis budget ran out while waiting.
 * - REDIS_DISABLED: the helper needs Redis but REDIS_ENABLED=false.
 * - REDIS_INPUT: an argument the caller passed is not acceptable (nothing was written).
 * - REDIS_CONFIG: the environment is invalid (names each wrong variable).
 */
export type RedisErrorCode =
  | 'REDIS_UNAVAILABLE'
  | 'REDIS_OUTCOME_UNKNOWN'
  | 'REDIS_BUDGET_SPENT'
  | 'REDIS_DISABLED'
  | 'REDIS_INPUT'
  | 'REDIS_CONFIG'

/** Every error the Redis layer throws on purpose: `code` says which case it is. */
export abstract class RedisLayerError extends Error {
  abstract readonly code: RedisErrorCode
}

/**
 * Redis did not serve the call in time, whatever the reason (unreachable, slow, the budget spent):
 * every failure policy treats any subclass as an outage (a cache miss, the rate limit's policy, an error the app answers 503).
 */
export abstract class RedisOutageError extends RedisLayerError {}

/** Redis could not be reached in time (network, timeout, endpoint down). */
export class RedisUnavailableError extends RedisOutageError {
  override name = 'RedisUnavailableError'
  readonly code: 'REDIS_UNAVAILABLE' | 'REDIS_OUTCOME_UNKNOWN' = 'REDIS_UNAVAILABLE'
  constructor(operation: string, options?: { cause?: unknown }) {
    super(`Redis is unavailable (${operation}): ${describeCause(options?.cause)}`, options)
  }
}

/**
 * The command was sent but its answer never came (the endpoint's 504, a gateway timeout): it may
 * have run, or may still run. A subclass of RedisUnavailableError so every failure policy treats it
 * as an outage; retry only what is safe to run twice (queue.push with a jobId is).
 */
export class RedisOutcomeUnknownError extends RedisUnavailableError {
  override name = 'RedisOutcomeUnknownError'
  override readonly code = 'REDIS_OUTCOME_UNKNOWN'
  /**
   * When the wait was cut by a RedisBudget, the call itself, still running: it settles with Redis's
   * eventual answer (e.g. to release a lock the abandoned call took after all). Undefined otherwise.
   */
  readonly outcome?: Promise<unknown>
  constructor(operation: string, options?: { cause?: unknown; outcome?: Promise<unknown> }) {
    super(operation, options)
    this.outcome = options?.outcome
    this.message = `Redis did not confirm ${operation}: the command was sent and may have run (outcome unknown; retry only if it is safe to run twice): ${describeCause(options?.cause)}`
  }
}

/** The active Redis budget ran out (or was spent) before an answer: a call not sent, or shared work not waited for. */
export class RedisBudgetSpent extends RedisOutageError {
  override name = 'RedisBudgetSpent'
  readonly code = 'REDIS_BUDGET_SPENT'
}

/** The helper needs Redis but REDIS_ENABLED=false (e.g. queue.push). */
export class RedisDisabledError extends RedisLayerError {
  override name = 'RedisDisabledError'
  readonly code = 'REDIS_DISABLED'
  constructor(operation: string) {
    super(
      `${operation} needs Redis, but REDIS_ENABLED=false; set REDIS_ENABLED=true and the UPSTASH_REDIS_REST_* variables`,
    )
  }
}

/** A value or argument the caller passed is not acceptable (not JSON-serialisable, too large…); nothing was written. */
export class RedisInputError extends RedisLayerError {
  override name = 'RedisInputError'
  readonly code = 'REDIS_INPUT'
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) return redactMessage(cause.message)
  return cause === undefined ? 'no answer' : String(cause)
}

/**
 * An error message without secrets: a bearer token, and the arguments @upstash/redis appends to
 * every error answer (`…, command was: [["set","<prefix>:session:<id>","<data>"]]`: session ids,
 * session data, job payloads). Only the command's name is kept, which is what a log reader needs.
 */
export function redactMessage(message: string): string {
  return message
    .replace(/Bearer\s+\S+/g, 'Bearer ***')
    .replace(
      /, command was: (\[+"([^"]*)")?[\s\S]*$/,
      (_all, _head: string | undefined, name: string | undefined) =>
        `, command was: ${name ? name.toUpperCase() : '?'} (arguments hidden)`,
    )
}

/** Strips secrets from an error's own message in place (see redactMessage), so every log and response is safe. */
export function redactError<E>(err: E): E {
  if (!(err instanceof Error)) return err
  const redacted = redactMessage(err.message)
  if (redacted !== err.message) {
    // Some errors (DOMException's TimeoutError) have a read-only message; those carry no command anyway.
    try {
      err.message = redacted
    } catch {
      /* left as is */
    }
  }
  return err
}

/**
 * True when an error from @upstash/redis means "sent, but no answer": the endpoint's 504 (`ERR Redis
 * outcome unknown`), or a gateway timeout in front of Upstash (a 504 page the client cannot parse as JSON).
 */
export function isOutcomeUnknown(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  // The status first, whoever answered (the endpoint, Upstash, a gateway in front of either).
  const status = transportStatus(err)
  if (status !== undefined) return status === 504
  if (err.name === 'UpstashError') return /Redis outcome unknown|may have run/i.test(err.message)
  if (err.name === 'UpstashJSONParseError') return /\b504\b|gateway time-?out/i.test(err.message)
  return false
}

/** True when an error from @upstash/redis means "could not reach Redis" rather than "Redis said no". */
export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err instanceof RedisOutageError) return true
  // 502/503: not served; 504: no answer in time (an outage to every failure policy too).
  if (transportStatus(err) !== undefined) return true
  // The endpoint's 503s, and Upstash's plan quotas ("max daily request limit exceeded"): Redis is
  // there but will not serve us, which callers must treat like an outage (cache miss, 503, policy).
  if (err.name === 'UpstashError')
    return /Redis is unavailable|Redis outcome unknown|did not answer|too many blocking|endpoint is busy|max [a-z ]*limit exceeded/i.test(
      err.message,
    )
  // An answer that is not the REST API's JSON: a proxy or load balancer's error page in front of it.
  if (err.name === 'UpstashJSONParseError') return true
  // Our bound on the call (AbortSignal.timeout's DOMException) or the caller's abort.
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return true
  // What the transport reports: undici's "fetch failed" TypeError carries the network error as its cause.
  // Any other TypeError, and any message that merely mentions a timeout, is a bug and surfaces as one.
  return hasNetworkCode(err) || (err instanceof TypeError && err.message === 'fetch failed')
}

/** Error codes of Node's sockets and DNS, and undici's own (UND_ERR_…): the network failed, not the program. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
])

function hasNetworkCode(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 3) return false
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('UND_ERR_'))) return true
  return hasNetworkCode((err as { cause?: unknown }).cause, depth + 1)
}
