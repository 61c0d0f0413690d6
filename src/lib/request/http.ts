import { ZodError } from 'zod'
import {
  RedisDisabledError,
  RedisInputError,
  RedisLayerError,
  RedisUnavailableError,
  type RedisErrorCode,
} from '@/lib/upstash'
import { HttpError } from '@/lib/core/http-error'

export { HttpError }

/**
 * The HTTP status the app answers for each error of the Redis layer. The layer says what happened
 * (its code); answering it is the app's business, decided here once.
 */
export const REDIS_ERROR_STATUS: Readonly<Record<RedisErrorCode, number>> = {
  // Not served in time, or not at all: retry later (routes add Retry-After).
  REDIS_UNAVAILABLE: 503,
  REDIS_OUTCOME_UNKNOWN: 503,
  REDIS_BUDGET_SPENT: 503,
  REDIS_DISABLED: 503,
  // The caller's input; the message names the field.
  REDIS_INPUT: 400,
  // The server's own configuration: nothing the caller can change.
  REDIS_CONFIG: 500,
}

/** The status for an error of the Redis layer; undefined for any other error. */
export function redisErrorStatus(err: unknown): number | undefined {
  return err instanceof RedisLayerError ? REDIS_ERROR_STATUS[err.code] : undefined
}

/** JSON error body every route answers with. */
export interface ApiError {
  error: string
  /** Which input field was wrong, when the error is about input. */
  issues?: { path: string; message: string }[]
}

/**
 * Maps the errors routes can meet to statuses: HttpError → its status, bad input → 400 naming the
 * field, Redis unreachable/disabled → 503 (with Retry-After), anything else → 500 without internals.
 */
export function errorResponse(err: unknown): Response {
  if (err instanceof HttpError) {
    return Response.json({ error: err.message } satisfies ApiError, { status: err.status, headers: err.headers })
  }
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }))
    return Response.json(
      {
        error: `invalid request: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
        issues,
      } satisfies ApiError,
      { status: 400 },
    )
  }
  if (err instanceof RedisUnavailableError || err instanceof RedisDisabledError) {
    return Response.json({ error: err.message } satisfies ApiError, { status: 503, headers: { 'retry-after': '5' } })
  }
  // RedisInputError, QueryInputError…: the caller's input was wrong, and the message names the field.
  const status = redisErrorStatus(err) ?? (err as { status?: unknown } | null)?.status
  if (
    err instanceof RedisInputError ||
    (err instanceof Error && typeof status === 'number' && status >= 400 && status < 500)
  ) {
    return Response.json({ error: err.message } satisfies ApiError, {
      status: typeof status === 'number' ? status : 400,
    })
  }
  console.error('[api] unexpected error', err)
  return Response.json({ error: 'internal error' } satisfies ApiError, { status: 500 })
}

/** Largest JSON body a route reads (a dossier is a few kB). */
const MAX_BODY_BYTES = 64 * 1024

/** Reads a JSON body: 415 unless sent as JSON, 413 when too large, 400 when not JSON. */
export async function readJson(request: Request): Promise<unknown> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/(.+\+)?json\s*(;|$)/i.test(type))
    throw new HttpError(415, 'the request body must be JSON, sent with Content-Type: application/json')
  const declared = Number(request.headers.get('content-length') ?? 0)
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `the request body must be at most ${MAX_BODY_BYTES} bytes`)
  const text = await request.text()
  if (new TextEncoder().encode(text).byteLength > MAX_BODY_BYTES)
    throw new HttpError(413, `the request body must be at most ${MAX_BODY_BYTES} bytes`)
  try {
    return JSON.parse(text)
  } catch {
    throw new HttpError(400, 'the request body must be JSON')
  }
}
