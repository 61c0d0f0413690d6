import {
  AbortError as RedisAbortError,
  ClientClosedError,
  ClientOfflineError,
  CommandTimeoutDuringMaintenanceError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutDuringMaintenanceError,
  SocketTimeoutError,
  TimeoutError as RedisTimeoutError,
} from 'redis'

/**
 * A request the endpoint answers itself, before or instead of Redis: the HTTP status and the message
 * of its `{"error"}` body. (Distinct from the app's HttpError in src/lib: this one never leaves the endpoint.)
 */
export class EndpointError extends Error {
  override name = 'EndpointError'
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, as a flat list (e.g. Retry-After). */
    readonly headers?: readonly string[],
    /** Destroy the connection once answered: the client may still be sending a body nobody reads. */
    readonly closeAfter = false,
  ) {
    super(message)
  }
}

/** nginx's "client closed request": nobody is left to answer, so the connection is destroyed instead. */
export const CLIENT_CLOSED = 499

export const clientClosed = () => new EndpointError(CLIENT_CLOSED, 'the client closed the request')

/**
 * Redis cannot be reached and the command was NOT sent: safe to retry. The server maps it to a 503.
 * (Named apart from the helpers' RedisUnavailableError, which is what a client sees of it.)
 */
export class NotSentError extends Error {
  override name = 'NotSentError'
}

/** The command was sent but its answer did not come (timeout, lost or rebuilt connection): it may have run. A 504. */
export class NoAnswerError extends Error {
  override name = 'NoAnswerError'
}

/** Too many dedicated connections (blocking commands, subscriptions) at once: a 429, nothing was sent. */
export class TooManyBlockingError extends Error {
  override name = 'TooManyBlockingError'
}

/**
 * True for a failure that means "Redis is not there", by what node-redis or this endpoint reports
 * (closed or offline client, lost socket, connection timeout, our own not-sent / no-answer errors);
 * false for an error reply from Redis itself (`ERR …`, `WRONGTYPE …`: the caller's), and for anything
 * else, which is a bug of the endpoint and must surface as a 500, not hide as an outage.
 */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof ErrorReply) return false
  return (
    err instanceof NotSentError ||
    err instanceof NoAnswerError ||
    err instanceof TooManyBlockingError ||
    err instanceof ClientOfflineError ||
    // node-redis rejecting what was pending on a connection that was destroyed (rebuilt) or timed out
    err instanceof DisconnectsClientError ||
    err instanceof RedisAbortError ||
    err instanceof RedisTimeoutError ||
    err instanceof SocketTimeoutDuringMaintenanceError ||
    err instanceof CommandTimeoutDuringMaintenanceError ||
    (err instanceof Error && isSocketError(err))
  )
}

/** True when a failure happened before the command was handed to Redis (so a 503, safe to retry). */
export function notSent(err: unknown): boolean {
  return (
    err instanceof NotSentError ||
    err instanceof ClientOfflineError ||
    err instanceof ClientClosedError ||
    err instanceof TooManyBlockingError
  )
}

/** Socket-level failures node-redis recovers from by reconnecting; anything else emitted as 'error' is a reply it failed to decode. */
export function isSocketError(err: Error): boolean {
  return (
    err instanceof SocketClosedUnexpectedlyError ||
    err instanceof ConnectionTimeoutError ||
    err instanceof SocketTimeoutError ||
    err instanceof ReconnectStrategyError ||
    err instanceof ClientClosedError ||
    typeof (err as NodeJS.ErrnoException).code === 'string'
  )
}

/** What a failed request is answered with; `drop`: destroy the connection, nobody is there to read an answer. */
export type FailureAnswer =
  { drop: true } | { drop: false; status: number; message: string; headers?: readonly string[]; closeAfter?: boolean }

/** The one table from a failure to its HTTP answer: the status says what happened to the command. */
export function failureAnswer(err: unknown): FailureAnswer {
  if (err instanceof EndpointError) {
    if (err.status === CLIENT_CLOSED) return { drop: true }
    return { drop: false, status: err.status, message: err.message, headers: err.headers, closeAfter: err.closeAfter }
  }
  const message = (err as Error).message
  if (err instanceof TooManyBlockingError) return { drop: false, status: 429, message, headers: ['retry-after', '1'] }
  if (err instanceof NoAnswerError || (isUnavailable(err) && !notSent(err))) {
    // Sent, and no answer: it may have run. Retry only what is safe to run twice (or carries its own idempotency key).
    return { drop: false, status: 504, message: `ERR Redis outcome unknown: ${message}` }
  }
  if (err instanceof NotSentError || isUnavailable(err)) {
    return { drop: false, status: 503, message: `ERR Redis is unavailable: ${message}`, headers: ['retry-after', '1'] }
  }
  return { drop: false, status: 500, message: `ERR internal error: ${message}` }
}
