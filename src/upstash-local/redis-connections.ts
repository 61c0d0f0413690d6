import { createClient, ErrorReply, RESP_TYPES } from 'redis'
import { isSocketError, NotSentError, TooManyBlockingError } from './errors'

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
  /** Dedicated connections in use (or being opened) at once; more gets TooManyBlockingError. */
  maxDedicated: number
  /** How long opening a dedicated connection may take before a NotSentError. */
  connectTimeoutMs: number
  /** A shared connection with commands pending and no answer for this long is stalled: nothing more is sent on it, and the watchdog looks into it. */
  stallMs: number
  /** A script (EVAL, FCALL) running longer is stopped with SCRIPT KILL / FUNCTION KILL. */
  scriptTimeoutMs: number
  /** One line per incident (never a secret). */
  log?: (line: string) => void
  /**
   * Set when the endpoint owns its redis-server: restarts it (SIGKILL, reload from its AOF). Used for a
   * script that wrote and so cannot be killed, which would otherwise hold Redis busy for good.
   */
  restartRedis?: () => Promise<void>
}

/** A pooled connection and what it owes: commands sent and not answered yet, and when it last answered. */
export interface PoolConnection {
  readonly client: Client
  pending: number
  /** performance.now() of the last answer, or of the send that made `pending` non-zero. */
  progressAt: number
  /** Set when the watchdog stopped a script running on it: the script's error names the limit. */
  scriptKilled: boolean
}

const WATCHDOG_MS = 100

const RESTART_REASON =
  'a Lua script that had written data ran past the limit and could not be stopped (SCRIPT KILL refused: UNKILLABLE)'

/**
 * The endpoint's Redis connections: a small round-robin pool for ordinary commands (node-redis
 * pipelines everything written in one tick on a connection) and dedicated connections, borrowed
 * and returned, for commands that block or subscribe.
 *
 * A watchdog keeps the pool honest: a connection whose reply could not be decoded is rebuilt at
 * once (its replies would otherwise go to the wrong requests); one that owes answers and is silent
 * is stalled (new requests are refused, not sent) and probed on a separate control connection:
 * Redis answering there means the connection is broken (rebuilt), Redis answering BUSY means a
 * script runs (stopped after scriptTimeoutMs), no answer means Redis itself is frozen (wait).
 */
export class RedisConnections {
  private readonly pool: PoolConnection[]
  private next = 0
  private readonly idle: Client[] = []
  private readonly busy = new Set<Client>()
  private opening = 0
  private closed = false
  private readonly log: (line: string) => void
  /** Why a connection was dropped while commands were pending: the text of their 504. */
  private readonly broken = new WeakMap<Client, string>()
  private control: Client | undefined
  private rebuilding: Promise<void> | undefined
  private probing = false
  private watchdog: NodeJS.Timeout | undefined
  /** A script that wrote and cannot be killed keeps Redis busy: said in every 503 meanwhile. */
  private unkillableSince: number | undefined
  /** While the own redis-server is restarted to end such a script (until a connection is ready again). */
  private restarting: 'running' | 'done' | undefined

  constructor(private readonly opts: ConnectionsOptions) {
    this.log = opts.log ?? ((line) => console.error(line))
    this.pool = Array.from({ length: opts.poolSize }, () => this.newPoolConnection())
  }

  private newPoolConnection(): PoolConnection {
    const conn: PoolConnection = {
      client: undefined as unknown as Client,
      pending: 0,
      progressAt: 0,
      scriptKilled: false,
    }
    ;(conn as { client: Client }).client = newClient(this.opts.redisUrl, (err) => this.onClientError(conn.client, err))
    return conn
  }

  /**
   * node-redis emits reply-decoding failures (a reply nested too deep overflows its decoder) as 'error'
   * and carries on with a desynchronised stream: the next reply would answer the wrong command. Drop
   * such a connection at once.
   */
  private onClientError(client: Client, err: Error): void {
    if (isSocketError(err) || this.closed) return
    const reason = `Redis's reply could not be decoded (${err.message}); the connection was rebuilt`
    const i = this.pool.findIndex((p) => p.client === client)
    if (i !== -1) {
      this.log(
        `upstash-local: a Redis reply could not be decoded (${err.message}); rebuilt shared connection ${i} (${this.pool[i]!.pending} commands pending, outcome unknown)`,
      )
      this.rebuild(i, reason)
    } else if (this.busy.has(client)) {
      this.log(`upstash-local: a Redis reply could not be decoded (${err.message}); dropped a dedicated connection`)
      this.broken.set(client, reason)
      this.discard(client)
    } else {
      destroy(client)
    }
  }

  /** Replaces pool connection `i`: its pending commands fail with `reason` (outcome unknown). */
  private rebuild(i: number, reason: string): void {
    const old = this.pool[i]!
    this.broken.set(old.client, reason)
    const conn = this.newPoolConnection()
    this.pool[i] = conn
    let timer: NodeJS.Timeout | undefined
    const rebuilt: Promise<void> = Promise.race([
      conn.client.connect().then(
        () => {},
        () => {},
      ),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.opts.connectTimeoutMs))),
    ]).finally(() => {
      clearTimeout(timer)
      if (this.rebuilding === rebuilt) this.rebuilding = undefined
    })
    this.rebuilding = rebuilt
    destroy(old.client)
  }

  /**
   * While a pool connection is being rebuilt: resolves once it is ready (or after connectTimeoutMs),
   * so requests arriving meanwhile wait a few ms for it instead of getting a 503.
   */
  get rebuilt(): Promise<void> | undefined {
    return this.rebuilding
  }

  /** Why `client` was dropped, if the endpoint dropped it (for the 504 of its pending commands). */
  brokenReason(client: Client): string | undefined {
    return this.broken.get(client)
  }

  /**
   * Connects the pool. Resolves once every connection is ready; while Redis is down node-redis keeps
   * retrying (so this may take as long as the outage).
   */
  async connect(): Promise<void> {
    this.watchdog ??= setInterval(this.check, WATCHDOG_MS).unref()
    await Promise.all(this.pool.map((c) => c.client.connect()))
  }

  /**
   * A pooled connection that is ready and not stalled, round-robin; throws NotSentError
   * (nothing sent) if none is.
   */
  shared(): PoolConnection {
    const pool = this.pool
    let stalled: PoolConnection | undefined
    for (let i = 0; i < pool.length; i++) {
      const c = pool[this.next]!
      this.next = this.next + 1 === pool.length ? 0 : this.next + 1
      if (!c.client.isReady) continue
      if (c.pending > 0 && performance.now() - c.progressAt > this.opts.stallMs) {
        stalled = c
        continue
      }
      if (this.restarting === 'running') continue
      if (this.restarting === 'done') this.restarting = undefined
      return c
    }
    if (this.restarting !== undefined) {
      throw new NotSentError(`${RESTART_REASON}; it is being restarted, not sent, safe to retry`)
    }
    if (stalled) {
      const silent = Math.round(performance.now() - stalled.progressAt)
      const why =
        this.unkillableSince !== undefined
          ? 'Redis is busy running a script that has written data, so it cannot be stopped (SCRIPT KILL refused; the endpoint never uses SHUTDOWN NOSAVE); it answers again once the script ends'
          : `Redis has not answered for ${silent} ms (a long script, or Redis stalled)`
      throw new NotSentError(`${why}; not sent, safe to retry`)
    }
    throw new NotSentError('Redis is unreachable (no connection is ready)')
  }

  /** Records `n` commands sent on `conn` (call before sendCommand). */
  sent(conn: PoolConnection, n: number): void {
    if (conn.pending === 0) conn.progressAt = performance.now()
    conn.pending += n
  }

  /** Records one answer (or failure) of a command sent on `conn`. */
  answered(conn: PoolConnection): void {
    conn.pending--
    conn.progressAt = performance.now()
  }

  /** Borrows a connection nobody else uses until `release` or `discard`. */
  async dedicated(): Promise<Client> {
    if (this.closed) throw new NotSentError('the endpoint is shutting down')
    let c = this.idle.pop()
    while (c && !c.isReady) {
      destroy(c)
      c = this.idle.pop()
    }
    if (!c) {
      if (this.busy.size + this.opening >= this.opts.maxDedicated) {
        throw new TooManyBlockingError(
          `ERR too many blocking commands and subscriptions in progress (${this.opts.maxDedicated}, the endpoint's --max-blocking limit); not sent, retry later`,
        )
      }
      // No pooled connection ready means Redis is down: say so now rather than after connectTimeoutMs.
      if (!this.ready) throw new NotSentError('Redis is unreachable (no connection is ready)')
      this.opening++
      try {
        c = await this.open()
      } finally {
        this.opening--
      }
    }
    this.busy.add(c)
    return c
  }

  /** A new connection, or NotSentError within connectTimeoutMs (node-redis itself would retry forever). */
  private async open(): Promise<Client> {
    const c: Client = newClient(this.opts.redisUrl, (err) => this.onClientError(c, err))
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        c.connect(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no connection within ${this.opts.connectTimeoutMs} ms`)),
            this.opts.connectTimeoutMs,
          )
        }),
      ])
      return c
    } catch (err) {
      destroy(c)
      throw new NotSentError(`Redis is unreachable: ${(err as Error).message}`)
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
    return this.pool.some((c) => c.client.isReady)
  }

  /** Dedicated connections in use (blocked commands, subscriptions): lets tests check nothing leaks. */
  get busyCount(): number {
    return this.busy.size
  }

  /** The watchdog: looks into the first stalled shared connection (one probe at a time). */
  private readonly check = (): void => {
    if (this.probing || this.closed) return
    const now = performance.now()
    for (let i = 0; i < this.pool.length; i++) {
      const conn = this.pool[i]!
      if (conn.pending > 0 && conn.client.isReady && now - conn.progressAt > this.opts.stallMs) {
        this.probing = true
        this.probe(i, conn).finally(() => (this.probing = false))
        return
      }
    }
    this.unkillableSince = undefined
  }

  /** Asks Redis on the control connection what keeps `conn` silent, and acts on it. */
  private async probe(i: number, conn: PoolConnection): Promise<void> {
    let ctl = this.control
    if (!ctl || !ctl.isReady) {
      if (ctl) destroy(ctl)
      this.control = undefined
      try {
        ctl = this.control = await this.open()
      } catch {
        return // Redis unreachable: node-redis reconnects the pool by itself
      }
    }
    // While Redis is frozen (or runs a script under its busy-reply-threshold) this waits: one probe at a time.
    const first = await ctl.sendCommand(['PING']).catch((err: unknown) => err)
    if (this.pool[i] !== conn || conn.pending === 0) return
    if (first instanceof ErrorReply && first.message.startsWith('BUSY'))
      return this.stopScript(conn, ctl, first.message)
    if (first !== 'PONG') return
    // Redis answers other connections. Give the silent one a further round trip to deliver what Redis
    // wrote in the same turn (e.g. just after a SIGSTOP ends) before judging it broken.
    const answeredAt = performance.now()
    const second = await ctl.sendCommand(['PING']).catch((err: unknown) => err)
    if (second !== 'PONG' || this.pool[i] !== conn || conn.pending === 0 || conn.progressAt >= answeredAt) return
    const silent = Math.round(performance.now() - conn.progressAt)
    this.log(
      `upstash-local: shared connection ${i} owed ${conn.pending} answers and was silent for ${silent} ms while Redis answered another connection; rebuilt it (outcome of those commands unknown)`,
    )
    this.rebuild(i, `the connection to Redis stopped answering for ${silent} ms and was rebuilt`)
  }

  private async stopScript(conn: PoolConnection, ctl: Client, busy: string): Promise<void> {
    const ran = Math.round(performance.now() - conn.progressAt)
    if (ran < this.opts.scriptTimeoutMs || this.unkillableSince !== undefined) return
    const fn = /FUNCTION KILL/.test(busy)
    // Marked before the kill is sent: Redis answers the script's caller and this connection in the same
    // turn, and under load the caller's "killed by user" error may be read first; it must already name the limit.
    conn.scriptKilled = true
    let answer = await ctl.sendCommand([fn ? 'FUNCTION' : 'SCRIPT', 'KILL']).catch((err: unknown) => err)
    if (answer instanceof ErrorReply && answer.message.startsWith('NOTBUSY') && !fn) {
      answer = await ctl.sendCommand(['FUNCTION', 'KILL']).catch((err: unknown) => err)
    }
    if (answer === 'OK') {
      this.log(
        `upstash-local: stopped a ${fn ? 'function' : 'Lua script'} that had run for ${ran} ms (over --script-timeout ${this.opts.scriptTimeoutMs} ms) with ${fn ? 'FUNCTION' : 'SCRIPT'} KILL`,
      )
    } else {
      conn.scriptKilled = false
    }
    if (answer instanceof ErrorReply && answer.message.startsWith('UNKILLABLE') && this.opts.restartRedis) {
      this.unkillableSince = performance.now()
      this.restartOwnRedis(ran)
    } else if (answer instanceof ErrorReply && answer.message.startsWith('UNKILLABLE')) {
      this.unkillableSince = performance.now()
      this.log(
        `upstash-local: a script has run for ${ran} ms (over --script-timeout ${this.opts.scriptTimeoutMs} ms) but has written data, so it cannot be stopped; Redis stays busy until it ends (the endpoint never uses SHUTDOWN NOSAVE), requests get 503 meanwhile`,
      )
    }
  }

  /**
   * Ends an unkillable script on a server the endpoint owns: SIGKILL and a restart from its AOF. (SHUTDOWN
   * NOSAVE needs @admin, which the endpoint's user lacks on purpose, and a process kill works whatever
   * state Redis is in.) A script's writes reach the AOF only once it returns, so the reloaded data is what
   * was acknowledged before, without the half-run script.
   */
  private restartOwnRedis(ran: number): void {
    this.restarting = 'running'
    const why = `${RESTART_REASON} (it ran ${ran} ms, over --script-timeout ${this.opts.scriptTimeoutMs} ms)`
    for (const conn of this.pool)
      if (conn.pending > 0)
        this.broken.set(
          conn.client,
          `${why}; Redis was restarted from its AOF, where an unfinished script leaves nothing`,
        )
    for (const c of this.busy) this.broken.set(c, `${why}; Redis was restarted`)
    this.log(
      `upstash-local: ${why}; restarting the endpoint's own redis-server (SIGKILL, then reload from its AOF); requests get 503 meanwhile`,
    )
    const started = performance.now()
    this.opts.restartRedis!()
      .then(
        () =>
          this.log(
            `upstash-local: redis-server restarted in ${Math.round(performance.now() - started)} ms; serving again once reconnected`,
          ),
        (err: unknown) => this.log(`upstash-local: could not restart redis-server: ${(err as Error).message}`),
      )
      .finally(() => {
        this.restarting = 'done'
        this.unkillableSince = undefined
      })
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
    clearInterval(this.watchdog)
    for (const c of [...this.pool.map((p) => p.client), ...this.idle, ...this.busy]) destroy(c)
    if (this.control) destroy(this.control)
    this.idle.length = 0
    this.busy.clear()
  }
}
