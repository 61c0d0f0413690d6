import { createClient, ErrorReply, RESP_TYPES } from 'redis'

/** One argument of a Redis command: text, or raw bytes (a path-style POST body). */
export type RedisArg = string | Buffer
export type Command = RedisArg[]

/** Bulk strings come back as Buffers so replies stay binary-safe; status replies stay strings. */
const TYPE_MAPPING = { [RESP_TYPES.BLOB_STRING]: Buffer } as const

function newClient(url: string, onError: (err: Error) => void) {
  const client = createClient({
    url,
    RESP: 2,
    // Fail at once while disconnected instead of queueing: the HTTP caller gets a 503 now, not a hang.
    disableOfflineQueue: true,
    // Not needed, and one less round trip per (re)connection.
    disableClientInfo: true,
    commandOptions: { typeMapping: TYPE_MAPPING },
    socket: {
      connectTimeout: 2_000,
      // Keep trying forever, capped at 500 ms apart: the endpoint recovers by itself when Redis is back.
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 4), 500),
    },
  })
  client.on('error', onError)
  return client
}

export type Client = ReturnType<typeof newClient>

/** Thrown when Redis cannot be reached (or does not answer in time); the server maps it to a 503. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError'
}

/**
 * True for a failure that means "Redis is not there" (closed or offline client, lost socket, timeout),
 * false for an error reply from Redis itself (`ERR …`, `WRONGTYPE …`), which is the caller's fault.
 */
export function isUnavailable(err: unknown): boolean {
  return !(err instanceof ErrorReply)
}

/** Destroys a client unless it is already closed (node-redis throws on a second destroy). */
function destroy(c: Client): void {
  if (c.isOpen) c.destroy()
}

export interface ConnectionsOptions {
  redisUrl: string
  /** Connections shared by plain commands (each request sticks to one, so its order holds). */
  poolSize: number
  /** Idle dedicated connections kept for blocking commands and pub/sub. */
  maxIdleDedicated: number
  /** How long opening a dedicated connection may take before a RedisUnavailableError. */
  connectTimeoutMs: number
  onError?: (err: Error) => void
}

/**
 * The endpoint's Redis connections: a small round-robin pool for ordinary commands (node-redis
 * pipelines everything written in one tick on a connection) and dedicated connections, borrowed
 * and returned, for commands that block or subscribe.
 */
export class RedisConnections {
  private readonly pool: Client[]
  private next = 0
  private readonly idle: Client[] = []
  private readonly busy = new Set<Client>()
  private closed = false
  private readonly onError: (err: Error) => void

  constructor(private readonly opts: ConnectionsOptions) {
    this.onError = opts.onError ?? (() => {})
    this.pool = Array.from({ length: opts.poolSize }, () => newClient(opts.redisUrl, this.onError))
  }

  /**
   * Connects the pool. Resolves once every connection is ready; while Redis is down node-redis keeps
   * retrying (so this may take as long as the outage).
   */
  async connect(): Promise<void> {
    await Promise.all(this.pool.map((c) => c.connect()))
  }

  /** A pooled connection that is ready, round-robin; throws RedisUnavailableError if none is. */
  shared(): Client {
    const pool = this.pool
    for (let i = 0; i < pool.length; i++) {
      const c = pool[this.next]!
      this.next = this.next + 1 === pool.length ? 0 : this.next + 1
      if (c.isReady) return c
    }
    throw new RedisUnavailableError('Redis is unreachable (no connection is ready)')
  }

  /** Borrows a connection nobody else uses until `release` or `discard`. */
  async dedicated(): Promise<Client> {
    if (this.closed) throw new RedisUnavailableError('the endpoint is shutting down')
    let c = this.idle.pop()
    while (c && !c.isReady) {
      destroy(c)
      c = this.idle.pop()
    }
    if (!c) {
      // No pooled connection ready means Redis is down: say so now rather than after connectTimeoutMs.
      if (!this.ready) throw new RedisUnavailableError('Redis is unreachable (no connection is ready)')
      c = await this.open()
    }
    this.busy.add(c)
    return c
  }

  /** A new connection, or RedisUnavailableError within connectTimeoutMs (node-redis itself would retry forever). */
  private async open(): Promise<Client> {
    const c = newClient(this.opts.redisUrl, this.onError)
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        c.connect(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no connection within ${this.opts.connectTimeoutMs} ms`)), this.opts.connectTimeoutMs)
        }),
      ])
      return c
    } catch (err) {
      destroy(c)
      throw new RedisUnavailableError(`Redis is unreachable: ${(err as Error).message}`)
    } finally {
      clearTimeout(timer)
    }
  }

  /** Gives a dedicated connection back for reuse (only when its state is known to be clean). */
  release(c: Client): void {
    this.busy.delete(c)
    if (!this.closed && c.isReady && this.idle.length < this.opts.maxIdleDedicated) this.idle.push(c)
    else destroy(c)
  }

  /** Drops a dedicated connection whose state is unknown (a blocked command, a subscription). */
  discard(c: Client): void {
    this.busy.delete(c)
    destroy(c)
  }

  /** True when at least one pooled connection is ready. */
  get ready(): boolean {
    return this.pool.some((c) => c.isReady)
  }

  /** Dedicated connections in use (blocked commands, subscriptions): lets tests check nothing leaks. */
  get busyCount(): number {
    return this.busy.size
  }

  /** Drops the dedicated connections (their blocked commands and subscriptions end) and refuses new ones. */
  closeDedicated(): void {
    this.closed = true
    for (const c of [...this.idle, ...this.busy]) destroy(c)
    this.idle.length = 0
    this.busy.clear()
  }

  /**
   * Drops every connection at once (pending commands are rejected). The HTTP server drains its
   * requests before calling this, so nothing is normally pending.
   */
  close(): void {
    this.closed = true
    for (const c of [...this.pool, ...this.idle, ...this.busy]) destroy(c)
    this.idle.length = 0
    this.busy.clear()
  }
}
