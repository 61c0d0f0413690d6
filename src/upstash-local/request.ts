import type { IncomingMessage } from 'node:http'
import type { Command } from './redis-connections'

/** A request the endpoint rejects before reaching Redis: HTTP status and the message of its `{"error"}` body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, as a flat list (e.g. Retry-After). */
    readonly headers?: readonly string[],
  ) {
    super(message)
  }
}

/**
 * Bytes held at once by all requests (bodies being read and processed, replies being sent). A new
 * request is admitted while the total stays within `max`, or when nothing else is held (so one
 * request of the largest allowed size always gets through); otherwise it gets a 503 with Retry-After,
 * before anything is read or sent to Redis.
 */
export class InflightBudget {
  bytes = 0
  constructor(readonly max: number) {}

  tryReserve(n: number): boolean {
    if (this.bytes > 0 && this.bytes + n > this.max) return false
    this.bytes += n
    return true
  }

  /** Counts bytes that are already there (a reply): never refused, it only delays new requests. */
  add(n: number): void {
    this.bytes += n
  }

  release(n: number): void {
    this.bytes -= n
  }

  refusal(): HttpError {
    return new HttpError(
      503,
      `ERR the endpoint is busy: ${Math.round(this.bytes / 1024 / 1024)} MB of requests and replies in flight (limit ${Math.round(this.max / 1024 / 1024)} MB, --max-inflight-bytes); not sent, retry shortly`,
      ['retry-after', '1', 'connection', 'close'],
    )
  }
}

/**
 * Counts the commands of a JSON pipeline body (elements of the top-level array) as it streams in,
 * without parsing it: a body of a million `["PING"]` is refused after its first kilobytes instead of
 * being parsed into a million arrays.
 */
export class CommandCounter {
  count = 0
  private depth = 0
  private inString = false
  private escaped = false

  /** Feeds a chunk; returns the commands seen so far. */
  feed(chunk: Buffer): number {
    let { depth, inString, escaped, count } = this
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!
      if (inString) {
        if (escaped) escaped = false
        else if (c === 0x5c) escaped = true
        else if (c === 0x22) inString = false
      } else if (c === 0x22) inString = true
      else if (c === 0x5b) {
        if (++depth === 2) count++
      } else if (c === 0x5d) depth--
    }
    this.depth = depth
    this.inString = inString
    this.escaped = escaped
    this.count = count
    return count
  }
}

/** The 413 for a request of more than `max` commands. */
export function tooManyCommands(max: number, given?: number): HttpError {
  return new HttpError(
    413,
    `ERR ${given === undefined ? `more than ${max}` : given} commands in one request, over the limit of ${max} (--max-commands); split it into smaller pipelines`,
    ['connection', 'close'],
  )
}

/** How much a body may hold, and what it may cost (see readBody). */
export interface BodyLimits {
  maxBytes: number
  budget: InflightBudget
  /** Bytes this request reserved in `budget`; the caller releases them once answered. */
  held: { bytes: number }
  /** For /pipeline and /multi-exec: the most commands allowed (counted while reading). */
  maxCommands?: number
}

/**
 * One JSON command: a non-empty array of strings, numbers or booleans (what @upstash/redis sends).
 * Checked and converted in place (the array comes fresh from JSON.parse): no copy per command.
 */
export function toCommand(value: unknown, where: string): Command {
  if (!Array.isArray(value) || value.length === 0) {
    throw new HttpError(400, `${where}: expected a non-empty JSON array like ["SET","key","value"]`)
  }
  if (typeof value[0] !== 'string') throw new HttpError(400, `${where}[0]: expected the command name as a string`)
  const args = value as unknown[]
  for (let i = 1; i < args.length; i++) {
    const v = args[i]
    if (typeof v === 'string') continue
    if (typeof v === 'number' || typeof v === 'boolean') args[i] = String(v)
    else {
      const got = v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v
      throw new HttpError(400, `${where}[${i}]: expected a string, number or boolean argument, got ${got}`)
    }
  }
  return args as Command
}

/** A JSON array of commands, as POST /pipeline and /multi-exec take. */
export function toCommands(value: unknown, route: string, maxCommands = Infinity): Command[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new HttpError(400, `${route}: expected a non-empty JSON array of commands like [["SET","k","v"],["GET","k"]]`)
  }
  if (value.length > maxCommands) throw tooManyCommands(maxCommands, value.length)
  const out: Command[] = new Array(value.length)
  for (let i = 0; i < value.length; i++) out[i] = toCommand(value[i], `${route} command ${i}`)
  return out
}

export function parseJson(body: Buffer, route: string): unknown {
  if (body.length === 0) throw new HttpError(400, `${route}: empty body, expected a JSON array`)
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw new HttpError(400, `${route}: body is not valid JSON (${(err as Error).message}); expected a JSON array`)
  }
}

const EMPTY = Buffer.alloc(0)

/**
 * The whole request body, or an HttpError as soon as it is known to be refused: 413 over `maxBytes`
 * or over `maxCommands` (from Content-Length before reading anything, else while streaming), 503 when
 * the in-flight budget has no room for it. Its bytes are reserved in the budget (`held`).
 */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const { maxBytes, budget, held, maxCommands } = limits
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > maxBytes) {
    return Promise.reject(new HttpError(413, `body of ${declared} bytes is over the limit of ${maxBytes} bytes`, ['connection', 'close']))
  }
  if (declared === 0 && req.headers['transfer-encoding'] === undefined) {
    // No body (GET, or POST without one): nothing to wait for beyond the end of the request.
    req.resume()
    return Promise.resolve(EMPTY)
  }
  if (declared > 0) {
    if (!budget.tryReserve(declared)) return Promise.reject(budget.refusal())
    held.bytes += declared
  }
  // The smallest command, `[""]`, takes 4 bytes with its comma: a shorter body cannot hold too many.
  const counter = maxCommands !== undefined && (declared === 0 || declared > 4 * maxCommands) ? new CommandCounter() : undefined
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const refuse = (err: HttpError) => {
      req.off('data', onData)
      req.resume()
      reject(err)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) return refuse(new HttpError(413, `body is over the limit of ${maxBytes} bytes`, ['connection', 'close']))
      if (declared === 0) {
        // Chunked: reserved as it comes.
        if (!budget.tryReserve(chunk.length)) return refuse(budget.refusal())
        held.bytes += chunk.length
      }
      if (counter && counter.feed(chunk) > maxCommands!) return refuse(tooManyCommands(maxCommands!))
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    req.once('error', reject)
  })
}
