import type { ServerResponse } from 'node:http'
import { boundRefusal } from './bounds'
import { classify } from './commands'
import { Deadlines } from './deadlines'
import { clientClosed, EndpointError, isUnavailable, NoAnswerError, notSent } from './errors'
import type { EndpointConfig } from './options'
import { streamSubscription } from './pubsub'
import { RedisConnections, type Client, type Command, type PoolConnection } from './redis-connections'
import type { OwnRedisServer } from './redis-server'
import { errorJson, replySize, safeResultJson } from './reply'
import type { InflightBudget } from './request'
import { nextSyncToken } from './respond'
import { ScriptFlagRewriter } from './script-flags'

/** One request as the executor sees it: where its answer goes, how strings are encoded, what it holds in flight. */
export interface RequestScope {
  res: ServerResponse
  base64: boolean
  /** Bytes this request holds in the in-flight budget; the server gives them back once the answer has left. */
  held: { bytes: number }
}

/** The commands of one request, checked before anything is sent. */
interface Plan {
  commands: Command[]
  /** `refusals[i]`, when set, is the error answered for command i instead of running it. */
  refusals: (string | undefined)[] | undefined
  /** `answers[i]`, when set, replaces command i's reply (the client's SHA for a rewritten SCRIPT LOAD). */
  answers: (string | undefined)[] | undefined
  /** Some command may block, or is SCRIPT/FUNCTION KILL: the request gets a connection of its own. */
  blocking: boolean
  /** Some command runs a script: the longer deadline applies. */
  script: boolean
}

/** Where a plan runs: a shared pool connection (whose answers are counted), or a dedicated client. */
interface Target {
  client: Client
  conn: PoolConnection | undefined
}

const SCRIPT = 1
const KILL = 2
const SCRIPT_COMMANDS = new Set(['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO'])

/** SCRIPT for a command that runs a script or function, KILL for SCRIPT KILL / FUNCTION KILL, else 0. Cheap on the hot path. */
function scriptKind(args: Command): number {
  const name = args[0]
  if (typeof name !== 'string') return 0
  const c = name.charCodeAt(0) | 0x20 // lower-case ASCII letter
  if (c !== 0x65 && c !== 0x66 && c !== 0x73) return 0 // e, f, s
  const upper = name.toUpperCase()
  if (SCRIPT_COMMANDS.has(upper)) return SCRIPT
  if ((upper === 'SCRIPT' || upper === 'FUNCTION') && typeof args[1] === 'string' && args[1].toUpperCase() === 'KILL')
    return KILL
  return 0
}

export type ExecutorOptions = Pick<
  EndpointConfig,
  'redisUrl' | 'poolSize' | 'maxBlocking' | 'timeoutMs' | 'scriptTimeoutMs' | 'maxReplyBytes' | 'maxValueBytes'
>

/**
 * Runs a request's commands on Redis: plain ones on the shared pool (node-redis sends everything of a
 * tick in one write), blocking ones on a dedicated connection, transactions as MULTI … EXEC in one
 * tick, subscriptions as event streams. Every reply is measured against the reply limit before it is
 * encoded, and every wait is bounded by a deadline.
 */
export class Executor {
  private readonly connections: RedisConnections
  private readonly deadlines: Deadlines
  private readonly scriptDeadlines: Deadlines
  private readonly scripts = new ScriptFlagRewriter()
  private readonly streams = new Set<ServerResponse>()
  private commandNames: Set<string> | undefined

  constructor(
    private readonly opts: ExecutorOptions,
    private readonly budget: InflightBudget,
    private readonly ownRedis: OwnRedisServer | undefined,
  ) {
    this.connections = new RedisConnections({
      redisUrl: opts.redisUrl,
      poolSize: opts.poolSize,
      maxIdleDedicated: 16,
      maxDedicated: opts.maxBlocking,
      connectTimeoutMs: opts.timeoutMs,
      // Half the request timeout: a request sent later would most likely time out (504) instead of a clean 503.
      stallMs: opts.timeoutMs / 2,
      scriptTimeoutMs: opts.scriptTimeoutMs,
      // Only a redis-server this endpoint started may be restarted by it; with --redis-url an unkillable script gets 503s until it ends.
      restartRedis: ownRedis ? () => ownRedis.restart() : undefined,
    })
    const outcomeUnknown = (ms: number) => () =>
      new NoAnswerError(`Redis did not answer within ${ms} ms; the command was sent and may still run`)
    this.deadlines = new Deadlines(opts.timeoutMs, outcomeUnknown(opts.timeoutMs))
    // Scripts may legitimately run up to scriptTimeoutMs, after which the watchdog stops them: their
    // caller then gets the script's error, not a timeout.
    const scriptMs = opts.scriptTimeoutMs + opts.timeoutMs
    this.scriptDeadlines = new Deadlines(scriptMs, outcomeUnknown(scriptMs))
  }

  /**
   * Resolves once the pool is connected, so the first requests do not get a 503 from a pool still
   * connecting; or after timeoutMs while Redis is down (the pool keeps reconnecting, requests get 503 meanwhile).
   */
  async connect(): Promise<void> {
    const connected = this.connections.connect().catch(() => {})
    let waited: NodeJS.Timeout | undefined
    await Promise.race([connected, new Promise((resolve) => (waited = setTimeout(resolve, this.opts.timeoutMs)))])
    clearTimeout(waited)
  }

  /** Dedicated Redis connections in use (blocked commands, subscriptions). */
  get busyConnections(): number {
    return this.connections.busyCount
  }

  /** Commands of one request, in order, one JSON entry each: on a shared connection, or a dedicated one if any may block. */
  runPipeline(scope: RequestScope, commands: Command[]): Promise<string[]> {
    return this.runPlan(scope, this.plan(commands))
  }

  /** MULTI … EXEC written in one tick on one connection: nothing else can interleave, Redis runs it atomically. */
  async runTransaction(scope: RequestScope, commands: Command[]): Promise<string> {
    for (const args of commands) {
      const c = classify(args)
      if (c.kind === 'refused') throw new EndpointError(400, c.reason!)
      const bound = boundRefusal(args, this.opts)
      if (bound !== undefined) throw new EndpointError(400, `${bound} (the transaction was not run)`)
      // Inside a transaction SCRIPT LOAD answers Redis's SHA of the stripped script (rare; EVALSHA still maps).
      this.scripts.rewrite(args)
    }
    const conn = this.connections.shared()
    const settled = await this.sendTransaction(conn, commands)
    const exec = settled[settled.length - 1]!
    if (exec.status === 'rejected') {
      // EXECABORT: say which command failed to queue.
      const queueError = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult
      const detail = queueError !== exec ? `: ${(queueError.reason as Error).message}` : ''
      throw new EndpointError(400, `${(exec.reason as Error).message}${detail}`)
    }
    const replies = exec.value as unknown as unknown[]
    const size = replySize(replies, this.opts.maxReplyBytes)
    if (size > this.opts.maxReplyBytes) {
      // It ran (atomically); only its answer is withheld.
      throw new EndpointError(400, `${this.replyTooLarge(true)}; the transaction itself ran`)
    }
    scope.held.bytes += size
    this.budget.add(size)
    const entries = replies.map((r) =>
      r instanceof Error ? errorJson(this.redisErrorMessage(conn, r.message)) : safeResultJson(r, scope.base64),
    )
    return `[${entries.join(',')}]`
  }

  /** True when Redis knows `name` as a command (asked once, then remembered). */
  async isCommand(name: string): Promise<boolean> {
    if (!this.commandNames) {
      const list = (await this.deadlines.bound(
        this.connections.shared().client.sendCommand(['COMMAND', 'LIST']),
      )) as Buffer[]
      this.commandNames = new Set(list.map((b) => b.toString().toUpperCase()))
    }
    return this.commandNames.has(name.toUpperCase())
  }

  /** Streams `channels` (patterns when `pattern`) to `res` as server-sent events, on a connection of its own. */
  async subscribe(res: ServerResponse, pattern: boolean, channels: string[]): Promise<void> {
    if (channels.length === 0)
      throw new EndpointError(400, `expected /${pattern ? 'psubscribe' : 'subscribe'}/<channel>`)
    const client = await this.connections.dedicated()
    if (res.closed) return this.connections.discard(client)
    this.streams.add(res)
    const onEnd = () => {
      this.streams.delete(res)
      this.connections.discard(client)
    }
    await streamSubscription(res, client, {
      pattern,
      channels,
      headers: ['upstash-sync-token', nextSyncToken()],
      onEnd,
    })
  }

  /** Ends the open streams and drops the dedicated connections (their blocked commands get 503s); refuses new ones. */
  stopDedicated(): void {
    for (const s of this.streams) s.end()
    this.connections.closeDedicated()
  }

  /** Closes every Redis connection and timer; called once no request is left. */
  close(): void {
    this.connections.close()
    this.deadlines.close()
    this.scriptDeadlines.close()
  }

  /** Classifies each command once: refused, bounded, rewritten, blocking, script. */
  private plan(commands: Command[]): Plan {
    const plan: Plan = { commands, refusals: undefined, answers: undefined, blocking: false, script: false }
    for (let i = 0; i < commands.length; i++) {
      const c = classify(commands[i]!)
      if (c.kind === 'blocking') plan.blocking = true
      else if (c.kind === 'refused') (plan.refusals ??= [])[i] = c.reason
      const bound = c.kind === 'refused' ? undefined : boundRefusal(commands[i]!, this.opts)
      if (bound !== undefined) (plan.refusals ??= [])[i] = bound
      const answer = this.scripts.rewrite(commands[i]!)
      if (answer !== undefined) (plan.answers ??= [])[i] = answer
      const s = scriptKind(commands[i]!)
      if (s === SCRIPT) plan.script = true
      // SCRIPT KILL / FUNCTION KILL must not wait behind the very script it is meant to stop.
      else if (s === KILL) plan.blocking = true
    }
    return plan
  }

  private runPlan(scope: RequestScope, plan: Plan): Promise<string[]> {
    if (plan.blocking) return this.runDedicated(scope, plan)
    let conn: PoolConnection
    try {
      conn = this.connections.shared()
    } catch (err) {
      // Just after a broken connection was dropped, its replacement is a few ms from ready: wait for it.
      const rebuilt = this.connections.rebuilt
      if (!rebuilt) throw err
      return rebuilt.then(() => this.runPlan(scope, plan))
    }
    const deadlines = plan.script ? this.scriptDeadlines : this.deadlines
    return deadlines.bound(this.runOn({ client: conn.client, conn }, plan, scope))
  }

  /** Commands that may block get a connection of their own, dropped if the caller goes away. */
  private async runDedicated(scope: RequestScope, plan: Plan): Promise<string[]> {
    const { res } = scope
    const client = await this.connections.dedicated()
    const onClose = () => this.connections.discard(client)
    if (res.closed) {
      // The caller left while the connection was being opened: nobody to answer.
      this.connections.discard(client)
      throw clientClosed()
    }
    res.once('close', onClose)
    try {
      const entries = await this.runOn({ client, conn: undefined }, plan, scope)
      res.off('close', onClose)
      this.connections.release(client)
      return entries
    } catch (err) {
      res.off('close', onClose)
      this.connections.discard(client)
      throw err
    }
  }

  /** Runs a plan's commands in order on one connection: one JSON entry each, `{"result"}` or `{"error"}`. */
  private runOn(target: Target, plan: Plan, scope: RequestScope): Promise<string[]> {
    const { client, conn } = target
    const { commands, refusals, answers } = plan
    const connections = this.connections
    return new Promise((resolve, reject) => {
      const entries: string[] = new Array(commands.length)
      let left = commands.length
      // What this request's replies may still take: past it, a reply is refused before it is encoded.
      let room = this.opts.maxReplyBytes
      const settle = (i: number, json: string) => {
        entries[i] = json
        if (--left === 0) resolve(entries)
      }
      const onReply = (i: number, reply: unknown) => {
        if (conn) connections.answered(conn)
        if (answers?.[i] !== undefined) reply = Buffer.from(answers[i]!)
        let size: number
        try {
          size = replySize(reply, room)
        } catch (err) {
          // e.g. a reply nested deeper than the stack allows: an answer, never an exception in this callback.
          return settle(i, errorJson(`ERR the reply could not be measured (${(err as Error).message})`))
        }
        if (size > room) return settle(i, errorJson(this.replyTooLarge(commands.length > 1)))
        room -= size
        scope.held.bytes += size
        this.budget.add(size)
        settle(i, safeResultJson(reply, scope.base64))
      }
      const onError = (i: number, err: unknown) => {
        if (conn) connections.answered(conn)
        if (!isUnavailable(err)) return settle(i, errorJson(this.redisErrorMessage(conn, (err as Error).message)))
        if (notSent(err)) return reject(err)
        const why = connections.brokenReason(client) ?? (err as Error).message
        reject(new NoAnswerError(`${why}; the command was sent and may have run`))
      }
      for (let i = 0; i < commands.length; i++) {
        const refused = refusals?.[i]
        if (refused !== undefined) {
          settle(i, errorJson(refused))
          continue
        }
        if (conn) connections.sent(conn, 1)
        // node-redis writes everything sent in this tick in one go, in order: a pipeline is one round trip.
        client.sendCommand(commands[i]!).then(
          (reply) => onReply(i, reply),
          (err: unknown) => onError(i, err),
        )
      }
    })
  }

  /** Sends MULTI, the commands and EXEC in one tick; every outcome settled, or the error that says Redis is not there. */
  private async sendTransaction(conn: PoolConnection, commands: Command[]): Promise<PromiseSettledResult<unknown>[]> {
    const { client } = conn
    const chainId = Symbol('multi-exec')
    const all = [['MULTI'], ...commands, ['EXEC']]
    this.connections.sent(conn, all.length)
    const sent = all.map((args) => client.sendCommand(args, { chainId }).finally(() => this.connections.answered(conn)))
    const script = commands.some((args) => scriptKind(args) === SCRIPT)
    const settled = await (script ? this.scriptDeadlines : this.deadlines).bound(Promise.allSettled(sent))
    for (const s of settled) {
      if (s.status !== 'rejected' || !isUnavailable(s.reason)) continue
      if (notSent(s.reason)) throw s.reason
      const why = this.connections.brokenReason(client) ?? (s.reason as Error).message
      throw new NoAnswerError(`${why}; the transaction was sent and may have run`)
    }
    return settled
  }

  private replyTooLarge(pipeline: boolean): string {
    return `ERR reply too large: over the endpoint's limit of ${this.opts.maxReplyBytes} bytes per request${pipeline ? ' (this reply with the ones before it)' : ''} (--max-reply-bytes); ask for less at a time (GETRANGE, LRANGE/ZRANGE with bounds, SCAN/HSCAN/SSCAN)`
  }

  /** Redis's error, or for a script the watchdog stopped, why. */
  private redisErrorMessage(conn: PoolConnection | undefined, message: string): string {
    if (conn?.scriptKilled && /killed by user with (SCRIPT|FUNCTION) KILL/i.test(message)) {
      return `ERR the script ran longer than the endpoint's limit of ${this.opts.scriptTimeoutMs} ms (--script-timeout) and was stopped before it wrote anything (${message})`
    }
    if (message.startsWith('OOM ')) {
      // noeviction: nothing is dropped to make room, so the write is refused; say what is full and what to do.
      const own = this.ownRedis
        ? ` (${this.ownRedis.maxMemory}, the endpoint's own redis-server: --redis-maxmemory)`
        : ''
      return `${message} Redis is full: its memory is over its maxmemory${own} and it evicts nothing, so writes are refused until keys are deleted or expire, or the limit is raised; reads still work`
    }
    return message
  }
}
