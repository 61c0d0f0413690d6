import { ZodError } from 'zod'
import { RedisDisabledError, RedisInputError, RedisUnavailableError } from '@/lib/upstash'

/** JSON error body every route answers with. */
export interface ApiError {
  error: string
  /** Which input field was wrong, when the error is about input. */
  issues?: { path: string; message: string }[]
}

/**
 * Maps the errors routes can meet to statuses: Redis unreachable/disabled → 503 (with Retry-After),
 * bad input → 400 naming the field, anything else → 500 without internals.
 */
export function errorResponse(err: unknown): Response {
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ path: i.path.join('.') || '(body)', message: i.message }))
    return Response.json({ error: 'invalid request', issues } satisfies ApiError, { status: 400 })
  }
  // RedisInputError, QueryInputError…: the caller's input was wrong, and the message names the field.
  const status = (err as { status?: unknown } | null)?.status
  if (err instanceof RedisInputError || (err instanceof Error && typeof status === 'number' && status >= 400 && status < 500)) {
    return Response.json({ error: err.message } satisfies ApiError, { status: typeof status === 'number' ? status : 400 })
  }
  if (err instanceof RedisUnavailableError || err instanceof RedisDisabledError) {
    return Response.json({ error: err.message } satisfies ApiError, { status: 503, headers: { 'retry-after': '5' } })
  }
  console.error('[api] unexpected error', err)
  return Response.json({ error: 'internal error' } satisfies ApiError, { status: 500 })
}

/** Reads a JSON body, turning a syntax error into a 400-able ZodError-like message. */
export async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json()
  } catch {
    throw new RedisInputError('the request body must be JSON')
  }
}
