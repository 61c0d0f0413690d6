import { createClient, RESP_TYPES } from 'redis'

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

/** Thrown when Redis cannot be reached; the server maps it to a 503. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError'
}

export interface ConnectionsOptions {
  redisUrl: string
  /** Connections shared by plain commands (each request sticks to one, so its order holds). */
  poolSize: number
  /** Idle dedicated connections kept for blocking commands and pub/sub. */
  maxIdleDedicated: number
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

  constructor(private readonly opts: ConnectionsOptions) {
    const onError = opts.onError ?? (() => {})
    this.pool = Array.from({ length: opts.poolSize }, () => newClient(opts.redisUrl, onError))
  }

  /** Connects the pool. Resolves once every connection is ready (or rejects with the first error). */
  async connect(): Promise<void> {
    await Promise.all(this.pool.map((c) => c.connect()))
  }

  /** A pooled connection that is ready, round-robin; throws RedisUnavailableError if none is. */
  shared(): Client {
    for (let i = 0; i < this.pool.length; i++) {
      const c = this.pool[this.next]!
      this.next = (this.next + 1) % this.pool.length
      if (c.isReady) return c
    }
    throw new RedisUnavailableError('Redis is unreachable (no connection is ready)')
  }

  /** Borrows a connection nobody else uses until `release` or `discard`. */
  async dedicated(): Promise<Client> {
    if (this.closed) throw new RedisUnavailableError('endpoint is shutting down')
    let c = this.idle.pop()
    while (c && !c.isReady) {
      c.destroy()
      c = this.idle.pop()
    }
    if (!c) {
      c = newClient(this.opts.redisUrl, this.opts.onError ?? (() => {}))
      try {
        await c.connect()
      } catch (err) {
        c.destroy()
        throw new RedisUnavailableError(`Redis is unreachable: ${(err as Error).message}`)
      }
    }
    this.busy.add(c)
    return c
  }

  /** Gives a dedicated connection back for reuse (only when its state is clean). */
  release(c: Client): void {
    this.busy.delete(c)
    if (!this.closed && c.isReady && this.idle.length < this.opts.maxIdleDedicated) this.idle.push(c)
    else c.destroy()
  }

  /** Drops a dedicated connection whose state is unknown (a blocked command, a subscription). */
  discard(c: Client): void {
    this.busy.delete(c)
    c.destroy()
  }

  /** True when at least one pooled connection is ready. */
  get ready(): boolean {
    return this.pool.some((c) => c.isReady)
  }

  async close(): Promise<void> {
    this.closed = true
    for (const c of [...this.idle, ...this.busy]) c.destroy()
    this.idle.length = 0
    this.busy.clear()
    await Promise.all(
      this.pool.map(async (c) => {
        try {
          if (c.isOpen) await c.close()
        } catch {
          c.destroy()
        }
      }),
    )
  }
}
