import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { z } from 'zod'
import { boundRefusal } from './bounds'
import { classify } from './commands'
import { ScriptFlagRewriter } from './script-flags'
import { Deadlines } from './deadlines'
import { endpointOptionsSchema, type EndpointOptions } from './options'
import { streamSubscription } from './pubsub'
import {
  isUnavailable,
  notSent,
  RedisConnections,
  NoAnswerError,
  NotSentError,
  TooManyBlockingError,
  type Client,
  type Command,
  type PoolConnection,
} from './redis-connections'
import type { OwnRedisServer } from './redis-server'
import { errorJson, replySize, safeResultJson } from './reply'
import { BodyWatch, HttpError, InflightBudget, parseJson, readBody, toCommand, toCommands } from './request'

/** A running endpoint: where it listens, and how to stop it. */
export interface RunningEndpoint {
  /** Base URL to give `@upstash/redis` as `url` (UPSTASH_REDIS_REST_URL). */
  url: string
  token: string
  port: number
  /** Dedicated Redis connections in use (blocked commands, subscriptions); 0 when idle. */
  readonly busyConnections: number
  /** Stops accepting requests, ends open streams and blocked commands, closes every Redis connection. */
  close(): Promise<void>
}

/** The client echoes this back for read-your-writes; one endpoint in front of one Redis is always consistent. */
let syncToken = 0

/** Writes a JSON answer; `json` is already serialised. Headers as a flat array: the cheapest form for node:http. */
function send(res: ServerResponse, status: number, json: string, extra?: readonly string[]): void {
  const headers = [
    'content-type', 'application/json',
    'content-length', String(Buffer.byteLength(json)),
    'upstash-sync-token', String(++syncToken),
  ]
  if (extra) headers.push(...extra)
  res.writeHead(status, headers)
  res.end(json)
}

const isError = (entryJson: string) => entryJson.startsWith('{"error"')

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
  if ((upper === 'SCRIPT' || upper === 'FUNCTION') && typeof args[1] === 'string' && args[1].toUpperCase() === 'KILL') return KILL
  return 0
}

/**
 * Starts the Upstash-compatible REST endpoint in this process.
 * Throws (with a message naming the field) when an option is invalid, or when the port is taken.
 */
export async function startEndpoint(input: EndpointOptions, owned: { ownRedis?: OwnRedisServer } = {}): Promise<RunningEndpoint> {
  const parsed = endpointOptionsSchema.safeParse(input)
  if (!parsed.success) throw new Error(`invalid endpoint options:\n${z.prettifyError(parsed.error)}`)
  const opts = parsed.data
  const tokenDigest = createHash('sha256').update(opts.token).digest()
  const connections = new RedisConnections({
    redisUrl: opts.redisUrl,
    poolSize: opts.poolSize,
    maxIdleDedicated: 16,
    maxDedicated: opts.maxBlocking,
    connectTimeoutMs: opts.timeoutMs,
    // Half the request timeout: a request sent later would most likely time out (504) instead of a clean 503.
    stallMs: opts.timeoutMs / 2,
    scriptTimeoutMs: opts.scriptTimeoutMs,
    // Only a redis-server this endpoint started may be restarted by it; with --redis-url an unkillable script gets 503s until it ends.
    restartRedis: owned.ownRedis ? () => owned.ownRedis!.restart() : undefined,
  })
  const outcomeUnknown = (ms: number) => () =>
    new NoAnswerError(`Redis did not answer within ${ms} ms; the command was sent and may still run`)
  const deadlines = new Deadlines(opts.timeoutMs, outcomeUnknown(opts.timeoutMs))
  // Scripts may legitimately run up to scriptTimeoutMs, after which the watchdog stops them: their
  // caller then gets the script's error, not a timeout.
  const scriptMs = opts.scriptTimeoutMs + opts.timeoutMs
  const scriptDeadlines = new Deadlines(scriptMs, outcomeUnknown(scriptMs))
  const budget = new InflightBudget(opts.maxInflightBytes)
  const bodyWatch = new BodyWatch(opts.bodyTimeoutMs, opts.minBodyRate)
  const scripts = new ScriptFlagRewriter()
  const streams = new Set<ServerResponse>()
  let commandNames: Set<string> | undefined

  // Ready means connected, so the first requests do not get a 503 from a pool still connecting. Starting
  // while Redis is down is allowed (after timeoutMs): the pool keeps reconnecting, requests get 503 meanwhile.
  const connected = connections.connect().catch(() => {})
  let waited: NodeJS.Timeout | undefined
  await Promise.race([connected, new Promise((resolve) => (waited = setTimeout(resolve, opts.timeoutMs)))])
  clearTimeout(waited)

  const loopback = LOOPBACK_HOSTS.has(opts.host)

  /**
   * Why a request must be refused before anything else, or undefined. A web page (it sends `Origin`,
   * or `Sec-Fetch-Site: cross-site`) may not use the endpoint unless its origin is allowed; a foreign
   * `Host` on a loopback-bound endpoint is a DNS-rebinding page reaching it through the browser.
   */
  function foreignCaller(req: IncomingMessage): string | undefined {
    const origin = req.headers.origin
    const allowed = origin !== undefined && opts.allowOrigins.includes(origin)
    if ((origin !== undefined || req.headers['sec-fetch-site'] === 'cross-site') && !allowed) {
      return 'Forbidden: requests from web pages are refused (start the endpoint with --allow-origin <origin> to allow one)'
    }
    if (loopback) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
      if (!LOOPBACK_HOSTS.has(host)) return 'Forbidden: this endpoint only answers requests addressed to a loopback name (Host)'
    }
    return undefined
  }

  /** Bearer header or ?_token=, compared in constant time on fixed-length digests. */
  function authorized(req: IncomingMessage, query: string | undefined): boolean {
    const header = req.headers.authorization
    let given: string | null = null
    if (header !== undefined && header.startsWith('Bearer ')) given = header.slice(7)
    else if (query !== undefined) given = new URLSearchParams(query).get('_token')
    if (given === null) return false
    return timingSafeEqual(createHash('sha256').update(given).digest(), tokenDigest)
  }

  /**
   * Runs commands in order on one connection: one JSON entry each, `{"result"}` or `{"error"}`.
   * `refusals[i]`, when set, is the error answered for command i instead of running it.
   */
  function runOn(
    client: Client,
    conn: PoolConnection | undefined,
    commands: Command[],
    refusals: (string | undefined)[] | undefined,
    base64: boolean,
    answers: (string | undefined)[] | undefined,
    held: { bytes: number },
  ): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const entries: string[] = new Array(commands.length)
      let left = commands.length
      // What this request's replies may still take: past it, a reply is refused before it is encoded.
      let room = opts.maxReplyBytes
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
        if (size > room) return settle(i, errorJson(replyTooLarge(commands.length > 1)))
        room -= size
        held.bytes += size
        budget.add(size)
        settle(i, safeResultJson(reply, base64))
      }
      const onError = (i: number, err: unknown) => {
        if (conn) connections.answered(conn)
        if (!isUnavailable(err)) return settle(i, errorJson(redisErrorMessage(conn, (err as Error).message)))
        if (notSent(err)) return reject(err)
        reject(new NoAnswerError(`${connections.brokenReason(client) ?? (err as Error).message}; the command was sent and may have run`))
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

  function replyTooLarge(pipeline: boolean): string {
    return `ERR reply too large: over the endpoint's limit of ${opts.maxReplyBytes} bytes per request${pipeline ? ' (this reply with the ones before it)' : ''} (--max-reply-bytes); ask for less at a time (GETRANGE, LRANGE/ZRANGE with bounds, SCAN/HSCAN/SSCAN)`
  }

  /** Redis's error, or for a script the watchdog stopped, why. */
  function redisErrorMessage(conn: PoolConnection | undefined, message: string): string {
    if (conn?.scriptKilled && /killed by user with (SCRIPT|FUNCTION) KILL/i.test(message)) {
      return `ERR the script ran longer than the endpoint's limit of ${opts.scriptTimeoutMs} ms (--script-timeout) and was stopped before it wrote anything (${message})`
    }
    if (message.startsWith('OOM ')) {
      // noeviction: nothing is dropped to make room, so the write is refused; say what is full and what to do.
      return `${message} Redis is full: its memory is over its maxmemory${owned.ownRedis ? ` (${owned.ownRedis.maxMemory}, the endpoint's own redis-server: --redis-maxmemory)` : ''} and it evicts nothing, so writes are refused until keys are deleted or expire, or the limit is raised; reads still work`
    }
    return message
  }

  /** Commands that may block get a connection of their own, dropped if the caller goes away. */
  async function runDedicated(res: ServerResponse, commands: Command[], refusals: (string | undefined)[] | undefined, base64: boolean, answers: (string | undefined)[] | undefined, held: { bytes: number }) {
    const client = await connections.dedicated()
    const onClose = () => connections.discard(client)
    if (res.closed) {
      // The caller left while the connection was being opened: nobody to answer.
      connections.discard(client)
      throw new HttpError(499, 'the client closed the request')
    }
    res.once('close', onClose)
    try {
      const entries = await runOn(client, undefined, commands, refusals, base64, answers, held)
      res.off('close', onClose)
      connections.release(client)
      return entries
    } catch (err) {
      res.off('close', onClose)
      connections.discard(client)
      throw err
    }
  }

  /** Commands of one request, in order: on a shared connection, or a dedicated one if any may block. */
  function runPipeline(res: ServerResponse, commands: Command[], base64: boolean, held: { bytes: number }): Promise<string[]> {
    let blocking = false
    let script = false
    let refusals: (string | undefined)[] | undefined
    let answers: (string | undefined)[] | undefined
    for (let i = 0; i < commands.length; i++) {
      const c = classify(commands[i]!)
      if (c.kind === 'blocking') blocking = true
      else if (c.kind === 'refused') (refusals ??= [])[i] = c.reason
      const bound = c.kind === 'refused' ? undefined : boundRefusal(commands[i]!, opts)
      if (bound !== undefined) (refusals ??= [])[i] = bound
      const answer = scripts.rewrite(commands[i]!)
      if (answer !== undefined) (answers ??= [])[i] = answer
      const s = scriptKind(commands[i]!)
      if (s === SCRIPT) script = true
      // SCRIPT KILL / FUNCTION KILL must not wait behind the very script it is meant to stop.
      else if (s === KILL) blocking = true
    }
    if (blocking) return runDedicated(res, commands, refusals, base64, answers, held)
    let conn: PoolConnection
    try {
      conn = connections.shared()
    } catch (err) {
      // Just after a broken connection was dropped, its replacement is a few ms from ready: wait for it.
      const rebuilt = connections.rebuilt
      if (!rebuilt) throw err
      return rebuilt.then(() => runPipeline(res, commands, base64, held))
    }
    return (script ? scriptDeadlines : deadlines).bound(runOn(conn.client, conn, commands, refusals, base64, answers, held))
  }

  /** MULTI … EXEC written in one tick on one connection: nothing else can interleave, Redis runs it atomically. */
  async function runTransaction(commands: Command[], base64: boolean, held: { bytes: number }): Promise<string> {
    for (const args of commands) {
      const c = classify(args)
      if (c.kind === 'refused') throw new HttpError(400, c.reason!)
      const bound = boundRefusal(args, opts)
      if (bound !== undefined) throw new HttpError(400, `${bound} (the transaction was not run)`)
      // Inside a transaction SCRIPT LOAD answers Redis's SHA of the stripped script (rare; EVALSHA still maps).
      scripts.rewrite(args)
    }
    const conn = connections.shared()
    const client = conn.client
    const chainId = Symbol('multi-exec')
    const all = [['MULTI'], ...commands, ['EXEC']]
    connections.sent(conn, all.length)
    const sent = all.map((args) =>
      client.sendCommand(args, { chainId }).finally(() => connections.answered(conn)),
    )
    const script = commands.some((args) => scriptKind(args) === SCRIPT)
    const settled = await (script ? scriptDeadlines : deadlines).bound(Promise.allSettled(sent))
    for (const s of settled) {
      if (s.status !== 'rejected' || !isUnavailable(s.reason)) continue
      if (notSent(s.reason)) throw s.reason
      throw new NoAnswerError(`${connections.brokenReason(client) ?? (s.reason as Error).message}; the transaction was sent and may have run`)
    }
    const exec = settled[settled.length - 1]!
    if (exec.status === 'rejected') {
      // EXECABORT: say which command failed to queue.
      const queueError = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult
      const detail = queueError !== exec ? `: ${(queueError.reason as Error).message}` : ''
      throw new HttpError(400, `${(exec.reason as Error).message}${detail}`)
    }
    const replies = exec.value as unknown as unknown[]
    const size = replySize(replies, opts.maxReplyBytes)
    if (size > opts.maxReplyBytes) {
      // It ran (atomically); only its answer is withheld.
      throw new HttpError(400, `${replyTooLarge(true)}; the transaction itself ran`)
    }
    held.bytes += size
    budget.add(size)
    return `[${replies.map((r) => (r instanceof Error ? errorJson(redisErrorMessage(conn, r.message)) : safeResultJson(r, base64))).join(',')}]`
  }

  async function isCommand(name: string): Promise<boolean> {
    if (!commandNames) {
      const list = (await deadlines.bound(connections.shared().client.sendCommand(['COMMAND', 'LIST']))) as Buffer[]
      commandNames = new Set(list.map((b) => b.toString().toUpperCase()))
    }
    return commandNames.has(name.toUpperCase())
  }

  async function subscribe(res: ServerResponse, pattern: boolean, channels: string[]): Promise<void> {
    if (channels.length === 0) throw new HttpError(400, `expected /${pattern ? 'psubscribe' : 'subscribe'}/<channel>`)
    const client = await connections.dedicated()
    if (res.closed) return connections.discard(client)
    streams.add(res)
    await streamSubscription(res, client, pattern, channels, ['upstash-sync-token', String(++syncToken)], () => {
      streams.delete(res)
      connections.discard(client)
    })
  }

  async function handle(req: IncomingMessage, res: ServerResponse, held: { bytes: number }): Promise<void> {
    const refused = foreignCaller(req)
    if (refused) return send(res, 403, errorJson(refused))
    const rawUrl = req.url ?? '/'
    const q = rawUrl.indexOf('?')
    let path = q === -1 ? rawUrl : rawUrl.slice(0, q)
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
    if (!authorized(req, q === -1 ? undefined : rawUrl.slice(q + 1))) {
      return send(res, 401, errorJson('Unauthorized: send "Authorization: Bearer <token>" or ?_token=<token>'))
    }
    const method = req.method
    if (method !== 'GET' && method !== 'POST') {
      return send(res, 405, errorJson(`method ${method} is not allowed; use GET or POST`), ['allow', 'GET, POST'])
    }
    const base64 = req.headers['upstash-encoding'] === 'base64'
    const pipeline = path === '/pipeline' || path === '/multi-exec'
    const body = await readBody(req, { maxBytes: opts.maxBodyBytes, budget, held, maxCommands: pipeline ? opts.maxCommands : undefined, watch: bodyWatch })

    if (path === '/' || pipeline) {
      if (method !== 'POST') {
        return send(res, 405, errorJson(`${method} ${path} is not allowed: POST a JSON array body`), ['allow', 'POST'])
      }
      const parsed = parseJson(body, path)
      if (path === '/') {
        const [entry] = await runPipeline(res, [toCommand(parsed, 'body')], base64, held)
        return send(res, isError(entry!) ? 400 : 200, entry!)
      }
      const commands = toCommands(parsed, path, opts.maxCommands)
      if (path === '/multi-exec') return send(res, 200, await runTransaction(commands, base64, held))
      return send(res, 200, `[${(await runPipeline(res, commands, base64, held)).join(',')}]`)
    }

    let args: string[]
    try {
      args = path.slice(1).split('/').map(decodeURIComponent)
    } catch {
      throw new HttpError(400, `path ${path} is not valid URL encoding`)
    }
    const name = args[0]!.toLowerCase()
    if (name === 'subscribe' || name === 'psubscribe') return subscribe(res, name === 'psubscribe', args.slice(1))
    if (!(await isCommand(name))) {
      throw new HttpError(404, `unknown route ${path}: expected POST /, /pipeline, /multi-exec, /subscribe/<channel> or /<redis-command>/<arg>/…`)
    }
    const command: Command = args
    // Upstash's `curl -d value /set/key`: a POST body is the last argument, byte for byte.
    if (method === 'POST' && body.length > 0) command.push(body)
    const [entry] = await runPipeline(res, [command], base64, held)
    return send(res, isError(entry!) ? 400 : 200, entry!)
  }

  /** Gives back what a request held in the in-flight budget: a large answer once it has left (or the caller went away). */
  function releaseWhenSent(res: ServerResponse, held: { bytes: number }): void {
    if (held.bytes === 0) return
    if (held.bytes < 64 * 1024 || res.closed) budget.release(held.bytes)
    else res.once('close', () => budget.release(held.bytes))
  }

  function fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      res.destroy()
      return
    }
    if (err instanceof HttpError) {
      if (err.status === 499) return void res.destroy()
      // Past the drain bound (or a body too slow) the rest of the body is never read: close once answered.
      if (err.closeAfter) res.once('finish', () => res.socket?.destroy())
      send(res, err.status, errorJson(err.message), err.headers)
    } else if (err instanceof TooManyBlockingError) {
      send(res, 429, errorJson(err.message), ['retry-after', '1'])
    } else if (err instanceof NoAnswerError || (isUnavailable(err) && !notSent(err))) {
      // Sent, and no answer: it may have run. Retry only what is safe to run twice (or carries its own idempotency key).
      send(res, 504, errorJson(`ERR Redis outcome unknown: ${(err as Error).message}`))
    } else if (err instanceof NotSentError || isUnavailable(err)) {
      // Not sent: safe to retry.
      send(res, 503, errorJson(`ERR Redis is unavailable: ${(err as Error).message}`), ['retry-after', '1'])
    } else {
      send(res, 500, errorJson(`ERR internal error: ${(err as Error).message}`))
    }
  }

  const server = createServer({ noDelay: true }, (req, res) => {
    if (opts.verbose) logWhenDone(req, res)
    const held = { bytes: 0 }
    handle(req, res, held).then(
      () => releaseWhenSent(res, held),
      (err: unknown) => {
        fail(res, err)
        releaseWhenSent(res, held)
      },
    )
  })
  // Longer than clients' idle timeout (undici: 4 s), so the client, not the server, closes idle connections.
  server.keepAliveTimeout = 65_000

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    // e.g. EADDRINUSE: leave no Redis connection behind.
    connections.close()
    deadlines.close()
    scriptDeadlines.close()
    bodyWatch.close()
    throw err
  }
  const { port } = server.address() as AddressInfo
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host

  return {
    url: `http://${host}:${port}`,
    token: opts.token,
    port,
    get busyConnections() {
      return connections.busyCount
    },
    async close() {
      for (const s of streams) s.end()
      connections.closeDedicated()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      // Keep-alive connections become idle as their last answers go out (the 503s of the blocked
      // commands just dropped, the ended streams): close each as soon as it is. In-flight requests
      // are bounded by timeoutMs; past that, cut them.
      server.closeIdleConnections()
      const sweep = setInterval(() => server.closeIdleConnections(), 10)
      const grace = setTimeout(() => server.closeAllConnections(), opts.timeoutMs)
      await closed
      clearInterval(sweep)
      clearTimeout(grace)
      connections.close()
      deadlines.close()
      scriptDeadlines.close()
      bodyWatch.close()
    },
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1'])

/**
 * `--verbose`: one line per request once answered, with the route's shape only: never the query
 * string (it may hold ?_token=), headers, or a path-style command's arguments (keys can be session ids).
 */
function logWhenDone(req: IncomingMessage, res: ServerResponse): void {
  const started = performance.now()
  res.once('close', () => {
    const path = (req.url ?? '/').split('?')[0]!
    const [, first = '', ...rest] = path.split('/')
    const route = ['', 'pipeline', 'multi-exec'].includes(first) ? `/${first}` : `/${first.slice(0, 32)}${rest.length ? '/…' : ''}`
    console.log(`${req.method} ${route} ${res.statusCode} ${(performance.now() - started).toFixed(2)}ms`)
  })
}
