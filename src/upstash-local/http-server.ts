import { createHash, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { classify } from './commands'
import { encodeReply, type JsonReply } from './reply'
import { RedisConnections, RedisUnavailableError, type Client, type Command } from './redis-connections'
import { endpointOptionsSchema, type EndpointOptions } from './options'

/** A running endpoint: where it listens, and how to stop it. */
export interface RunningEndpoint {
  /** Base URL to give `@upstash/redis` as `url` (UPSTASH_REDIS_REST_URL). */
  url: string
  token: string
  port: number
  /** Stops accepting requests, ends open streams and closes every Redis connection. */
  close(): Promise<void>
}

type Entry = { result: JsonReply } | { error: string }

/** A request the endpoint rejects before reaching Redis: status and message. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const JSON_HEADERS = { 'content-type': 'application/json' }
let syncToken = 0

function send(res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): void {
  const payload = JSON.stringify(body)
  res.writeHead(status, {
    ...JSON_HEADERS,
    'content-length': Buffer.byteLength(payload),
    // The client echoes this back for read-your-writes; one endpoint in front of one Redis is always consistent.
    'upstash-sync-token': String(++syncToken),
    ...extra,
  })
  res.end(payload)
}

/** True for an error that means "Redis is not there", as opposed to a Redis error reply. */
function isUnavailable(err: unknown): boolean {
  if (err instanceof RedisUnavailableError) return true
  const name = (err as Error | undefined)?.name ?? ''
  return /ClientClosed|ClientOffline|SocketClosed|ConnectionTimeout|Timeout|Abort/.test(name)
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** One JSON command: a non-empty array of strings, numbers or booleans (what @upstash/redis sends). */
function toCommand(value: unknown, where: string): Command {
  if (!Array.isArray(value) || value.length === 0) {
    throw new HttpError(400, `${where}: expected a non-empty JSON array like ["SET","key","value"]`)
  }
  const out: Command = new Array(value.length)
  for (let i = 0; i < value.length; i++) {
    const v = value[i]
    if (typeof v === 'string') out[i] = v
    else if (typeof v === 'number' || typeof v === 'boolean') out[i] = String(v)
    else {
      throw new HttpError(400, `${where}[${i}]: expected a string, number or boolean argument, got ${v === null ? 'null' : typeof v}`)
    }
  }
  if (typeof value[0] !== 'string') throw new HttpError(400, `${where}[0]: expected the command name as a string`)
  return out
}

function toCommands(value: unknown, route: string): Command[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new HttpError(400, `${route}: expected a non-empty JSON array of commands like [["SET","k","v"],["GET","k"]]`)
  }
  return value.map((c, i) => toCommand(c, `${route} command ${i}`))
}

function parseJson(body: Buffer, route: string): unknown {
  if (body.length === 0) throw new HttpError(400, `${route}: empty body, expected a JSON array`)
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw new HttpError(400, `${route}: body is not valid JSON (${errorMessage(err)}); expected a JSON array`)
  }
}

/**
 * Starts the Upstash-compatible REST endpoint in this process.
 * Throws (with a message naming the field) when an option is invalid.
 */
export async function startEndpoint(input: EndpointOptions): Promise<RunningEndpoint> {
  const opts = endpointOptionsSchema.parse(input)
  const tokenDigest = createHash('sha256').update(opts.token).digest()
  const connections = new RedisConnections({
    redisUrl: opts.redisUrl,
    poolSize: opts.poolSize,
    maxIdleDedicated: 16,
  })
  const streams = new Set<ServerResponse>()
  let commandNames: Set<string> | undefined

  // Starting while Redis is down is allowed: the pool keeps reconnecting and requests get 503 meanwhile.
  connections.connect().catch(() => {})

  /** Bearer header or ?_token=, compared in constant time on fixed-length digests. */
  function authorized(req: IncomingMessage, query: URLSearchParams | undefined): boolean {
    const header = req.headers.authorization
    let given: string | undefined
    if (header !== undefined && header.startsWith('Bearer ')) given = header.slice(7)
    else given = query?.get('_token') ?? undefined
    if (given === undefined) return false
    return timingSafeEqual(createHash('sha256').update(given).digest(), tokenDigest)
  }

  function readBody(req: IncomingMessage): Promise<Buffer> {
    const declared = Number(req.headers['content-length'] ?? 0)
    if (declared > opts.maxBodyBytes) {
      return Promise.reject(new HttpError(413, `body of ${declared} bytes is over the limit of ${opts.maxBodyBytes} bytes`))
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      req.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > opts.maxBodyBytes) {
          req.removeAllListeners('data')
          req.resume()
          reject(new HttpError(413, `body is over the limit of ${opts.maxBodyBytes} bytes`))
        } else chunks.push(chunk)
      })
      req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
      req.on('error', reject)
    })
  }

  /** Bounds a Redis round trip so that a stalled Redis yields a 503 instead of a hung request. */
  function withTimeout<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RedisUnavailableError(`Redis did not answer within ${opts.timeoutMs} ms`)),
        opts.timeoutMs,
      )
    })
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
  }

  /** Runs commands in order on one connection, one settled entry each (node-redis pipelines one tick's writes). */
  function runOn(client: Client, commands: Command[], base64: boolean): Promise<Entry[]> {
    return Promise.all(
      commands.map((args) => {
        const c = classify(args as string[])
        if (c.kind === 'refused') return { error: c.reason! }
        return client.sendCommand(args).then(
          (reply): Entry => ({ result: encodeReply(reply, base64) }),
          (err: unknown): Entry => {
            if (isUnavailable(err)) throw err
            return { error: errorMessage(err) }
          },
        )
      }),
    )
  }

  /** Commands that may block get a connection of their own, dropped if the caller goes away. */
  async function runDedicated(res: ServerResponse, commands: Command[], base64: boolean): Promise<Entry[]> {
    const client = await connections.dedicated()
    let done = false
    const onClose = () => {
      if (!done) connections.discard(client)
    }
    res.on('close', onClose)
    try {
      const entries = await runOn(client, commands, base64)
      done = true
      connections.release(client)
      return entries
    } catch (err) {
      done = true
      connections.discard(client)
      throw err
    } finally {
      res.off('close', onClose)
    }
  }

  async function runPipeline(res: ServerResponse, commands: Command[], base64: boolean): Promise<Entry[]> {
    if (commands.some((c) => classify(c as string[]).kind === 'blocking')) return runDedicated(res, commands, base64)
    return withTimeout(runOn(connections.shared(), commands, base64))
  }

  /** MULTI … EXEC written in one tick on one connection: nothing else can interleave, Redis runs it atomically. */
  async function runTransaction(commands: Command[], base64: boolean): Promise<Entry[]> {
    for (const args of commands) {
      const c = classify(args as string[])
      if (c.kind === 'refused') throw new HttpError(400, c.reason!)
    }
    const client = connections.shared()
    const chainId = Symbol('multi-exec')
    const queued = [['MULTI'], ...commands].map((args) => client.sendCommand(args, { chainId }))
    const exec = client.sendCommand(['EXEC'], { chainId })
    const settled = await withTimeout(Promise.allSettled([...queued, exec]))
    const unavailable = settled.find((s) => s.status === 'rejected' && isUnavailable(s.reason))
    if (unavailable) throw (unavailable as PromiseRejectedResult).reason
    const last = settled[settled.length - 1]!
    if (last.status === 'rejected') {
      // EXECABORT: say which command failed to queue.
      const firstQueueError = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult
      const detail = firstQueueError !== last ? `: ${errorMessage(firstQueueError.reason)}` : ''
      throw new HttpError(400, `${errorMessage(last.reason)}${detail}`)
    }
    const replies = last.value as unknown as unknown[]
    return replies.map((r) => (r instanceof Error ? { error: r.message } : { result: encodeReply(r, base64) }))
  }

  async function knownCommand(name: string): Promise<boolean> {
    if (!commandNames) {
      const list = (await withTimeout(connections.shared().sendCommand(['COMMAND', 'LIST']))) as Buffer[]
      commandNames = new Set(list.map((b) => b.toString().toUpperCase()))
    }
    return commandNames.has(name.toUpperCase())
  }

  /** Upstash's pub/sub over REST: an SSE stream of `data: message,<channel>,<message>` lines. */
  async function subscribe(req: IncomingMessage, res: ServerResponse, pattern: boolean, channels: string[]) {
    if (channels.length === 0) throw new HttpError(400, `expected /${pattern ? 'psubscribe' : 'subscribe'}/<channel>`)
    const client = await connections.dedicated()
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'upstash-sync-token': String(++syncToken),
    })
    streams.add(res)
    const end = () => {
      streams.delete(res)
      connections.discard(client)
    }
    res.on('close', end)
    req.on('close', end)
    let count = 0
    for (const channel of channels) {
      if (pattern) {
        await client.pSubscribe(channel, (message, ch) => {
          res.write(`data: pmessage,${channel},${ch},${message}\n\n`)
        })
      } else {
        await client.subscribe(channel, (message, ch) => {
          res.write(`data: message,${ch},${message}\n\n`)
        })
      }
      res.write(`data: ${pattern ? 'psubscribe' : 'subscribe'},${channel},${++count}\n\n`)
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/'
    const q = rawUrl.indexOf('?')
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q)
    const query = q === -1 ? undefined : new URLSearchParams(rawUrl.slice(q + 1))
    if (!authorized(req, query)) {
      return send(res, 401, { error: 'Unauthorized: send "Authorization: Bearer <token>" or ?_token=<token>' })
    }
    const method = req.method ?? 'GET'
    if (method !== 'GET' && method !== 'POST') {
      return send(res, 405, { error: `method ${method} is not allowed; use GET or POST` }, { allow: 'GET, POST' })
    }
    const base64 = req.headers['upstash-encoding'] === 'base64'
    const body = await readBody(req)

    if (path === '/' || path === '/pipeline' || path === '/multi-exec') {
      if (method !== 'POST') return send(res, 405, { error: `${path} takes POST with a JSON body` }, { allow: 'POST' })
      const parsed = parseJson(body, path)
      if (path === '/') {
        const [entry] = await runPipeline(res, [toCommand(parsed, 'body')], base64)
        return send(res, 'error' in entry! ? 400 : 200, entry)
      }
      const commands = toCommands(parsed, path)
      const entries = path === '/pipeline' ? await runPipeline(res, commands, base64) : await runTransaction(commands, base64)
      return send(res, 200, entries)
    }

    const segments = path.split('/').slice(1)
    if (segments[segments.length - 1] === '') segments.pop()
    let args: string[]
    try {
      args = segments.map(decodeURIComponent)
    } catch {
      throw new HttpError(400, `path ${path} is not valid URL encoding`)
    }
    const name = (args[0] ?? '').toLowerCase()
    if (name === 'subscribe' || name === 'psubscribe') return subscribe(req, res, name === 'psubscribe', args.slice(1))
    if (!(await knownCommand(args[0]!))) {
      throw new HttpError(404, `unknown route ${path}: expected POST /, /pipeline, /multi-exec or /<redis-command>/<arg>/…`)
    }
    const command: Command = args
    // Upstash's `curl -d value /set/key`: a POST body is the last argument, byte for byte.
    if (method === 'POST' && body.length > 0) command.push(body)
    const [entry] = await runPipeline(res, [command], base64)
    return send(res, 'error' in entry! ? 400 : 200, entry)
  }

  const server: Server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const started = opts.verbose ? performance.now() : 0
    if (opts.verbose) {
      res.on('finish', () => {
        const path = (req.url ?? '/').split('?')[0] // never the query: it may hold ?_token=
        console.log(`${req.method} ${path} ${res.statusCode} ${(performance.now() - started).toFixed(2)}ms`)
      })
    }
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy()
        return
      }
      if (err instanceof HttpError) {
        send(res, err.status, { error: err.message }, err.status === 413 ? { connection: 'close' } : undefined)
      } else if (isUnavailable(err)) {
        send(res, 503, { error: `ERR Redis is unavailable: ${errorMessage(err)}` })
      } else {
        send(res, 500, { error: `ERR internal error: ${errorMessage(err)}` })
      }
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host

  return {
    url: `http://${host}:${port}`,
    token: opts.token,
    port,
    async close() {
      for (const s of streams) s.end()
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      await connections.close()
      await closed
    },
  }
}
