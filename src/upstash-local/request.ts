import type { IncomingMessage } from 'node:http'
import { clientClosed, EndpointError } from './errors'
import type { Command } from './redis-connections'

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

  refusal(): EndpointError {
    return new EndpointError(
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
export function tooManyCommands(max: number, given?: number): EndpointError {
  return new EndpointError(
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
  /** Cuts bodies that arrive too slowly (see BodyWatch). */
  watch: BodyWatch
}

/** Grace before the minimum rate applies: connection setup and the first chunks are not a rate. */
const RATE_GRACE_MS = 1_000

/** A body being read: what BodyWatch needs to judge it, and how to cut it. */
interface Upload {
  startedAt: number
  received: number
  cut(err: EndpointError): void
}

/**
 * Bounds the time a request body may take: the whole body within `timeoutMs`, and after the first
 * second at least `minRate` bytes/s on average. A body that arrives too slowly would otherwise hold
 * its in-flight reservation (up to --max-body) for as long as the client likes (Node's own
 * requestTimeout is 300 s): four such uploads starve every other request. One timer sweeps all
 * uploads (a timer per request would cost more than the request on the hot path).
 */
export class BodyWatch {
  private readonly uploads = new Set<Upload>()
  private timer: NodeJS.Timeout | undefined

  constructor(
    readonly timeoutMs: number,
    readonly minRate: number,
  ) {}

  add(u: Upload): void {
    this.uploads.add(u)
    this.timer ??= setInterval(this.sweep, Math.min(100, this.timeoutMs)).unref()
  }

  delete(u: Upload): void {
    this.uploads.delete(u)
    if (this.uploads.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }

  close(): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private readonly sweep = (): void => {
    const now = performance.now()
    for (const u of this.uploads) {
      const elapsed = now - u.startedAt
      if (elapsed > this.timeoutMs) {
        u.cut(
          bodyTooSlow(
            `the body was not received within ${this.timeoutMs} ms (--body-timeout); ${u.received} bytes came`,
          ),
        )
      } else if (elapsed > RATE_GRACE_MS && u.received < (this.minRate * (elapsed - RATE_GRACE_MS)) / 1000) {
        u.cut(
          bodyTooSlow(
            `the body arrives too slowly: ${u.received} bytes in ${Math.round(elapsed)} ms, under the minimum of ${this.minRate} bytes/s (--min-body-rate)`,
          ),
        )
      }
    }
  }
}

function bodyTooSlow(why: string): EndpointError {
  return new EndpointError(408, `ERR request timeout: ${why}; the request was not run`, ['connection', 'close'], true)
}

/**
 * A refused body is still read, and discarded, up to this many bytes before the answer: a client
 * that is still sending (Node's fetch, so @upstash/redis) would otherwise get a connection reset
 * (EPIPE, "fetch failed") instead of the 413 the endpoint sent. Beyond it, the connection is closed.
 * Discarding holds no memory; the body deadline still applies.
 */
export function drainLimit(maxBytes: number): number {
  return Math.max(4 * maxBytes, 64 * 1024 * 1024)
}

/**
 * One JSON command: a non-empty array of strings, numbers or booleans (what @upstash/redis sends).
 * Checked and converted in place (the array comes fresh from JSON.parse): no copy per command.
 */
export function toCommand(value: unknown, where: string): Command {
  if (!Array.isArray(value) || value.length === 0) {
    throw new EndpointError(400, `${where}: expected a non-empty JSON array like ["SET","key","value"]`)
  }
  if (typeof value[0] !== 'string') throw new EndpointError(400, `${where}[0]: expected the command name as a string`)
  const args = value as unknown[]
  for (let i = 1; i < args.length; i++) {
    const v = args[i]
    if (typeof v === 'string') continue
    if (typeof v === 'number' || typeof v === 'boolean') args[i] = String(v)
    else {
      const got = v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v
      throw new EndpointError(400, `${where}[${i}]: expected a string, number or boolean argument, got ${got}`)
    }
  }
  return args as Command
}

/** A JSON array of commands, as POST /pipeline and /multi-exec take. */
export function toCommands(value: unknown, route: string, maxCommands = Infinity): Command[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new EndpointError(
      400,
      `${route}: expected a non-empty JSON array of commands like [["SET","k","v"],["GET","k"]]`,
    )
  }
  if (value.length > maxCommands) throw tooManyCommands(maxCommands, value.length)
  const out: Command[] = new Array(value.length)
  for (let i = 0; i < value.length; i++) out[i] = toCommand(value[i], `${route} command ${i}`)
  return out
}

export function parseJson(body: Buffer, route: string): unknown {
  if (body.length === 0) throw new EndpointError(400, `${route}: empty body, expected a JSON array`)
  try {
    return JSON.parse(body.toString('utf8'))
  } catch (err) {
    throw new EndpointError(400, `${route}: body is not valid JSON (${(err as Error).message}); expected a JSON array`)
  }
}

const EMPTY = Buffer.alloc(0)

/**
 * The whole request body, or an EndpointError once it is known to be refused: 413 over `maxBytes` or over
 * `maxCommands` (from Content-Length before reading anything, else while streaming), 503 when the
 * in-flight budget has no room for it, 408 when it arrives too slowly (BodyWatch). Its bytes are
 * reserved in the budget (`held`) while it is read; a refused body gives its reservation back at once
 * and is read to its end, discarded (up to drainLimit), so that the client reads the answer.
 */
export function readBody(req: IncomingMessage, limits: BodyLimits): Promise<Buffer> {
  const { maxBytes, budget, held, maxCommands, watch } = limits
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared === 0 && req.headers['transfer-encoding'] === undefined) {
    // No body (GET, or POST without one): nothing to wait for beyond the end of the request.
    req.resume()
    return Promise.resolve(EMPTY)
  }
  // The smallest command, `[""]`, takes 4 bytes with its comma: a shorter body cannot hold too many.
  const counter =
    maxCommands !== undefined && (declared === 0 || declared > 4 * maxCommands) ? new CommandCounter() : undefined
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let reserved = 0
    let refusal: EndpointError | undefined
    let drained = 0
    const drainMax = drainLimit(maxBytes)
    const upload: Upload = { startedAt: performance.now(), received: 0, cut: (err) => cut(err) }
    const done = () => {
      watch.delete(upload)
      req.off('data', onData)
      req.off('end', onEnd)
      req.off('error', onError)
      req.off('close', onClose)
    }
    const giveBack = () => {
      budget.release(reserved)
      held.bytes -= reserved
      reserved = 0
      chunks.length = 0
    }
    /** Answer now; the connection is closed after the answer (the rest of the body is never read). */
    const cut = (err: EndpointError) => {
      done()
      giveBack()
      req.resume()
      reject(err.closeAfter ? err : new EndpointError(err.status, err.message, err.headers, true))
    }
    /** Refused: keep reading, discard, answer at the end of the body (or cut past drainLimit). */
    const refuse = (err: EndpointError) => {
      refusal = err
      giveBack()
      if (drained > drainMax) cut(err)
    }
    const onData = (chunk: Buffer) => {
      upload.received += chunk.length
      if (refusal) {
        drained += chunk.length
        if (drained > drainMax) cut(refusal)
        return
      }
      if (upload.received > maxBytes)
        return refuse(new EndpointError(413, `body is over the limit of ${maxBytes} bytes`, ['connection', 'close']))
      if (declared === 0) {
        // Chunked: reserved as it comes.
        if (!budget.tryReserve(chunk.length)) return refuse(budget.refusal())
        reserved += chunk.length
        held.bytes += chunk.length
      }
      if (counter && counter.feed(chunk) > maxCommands!) return refuse(tooManyCommands(maxCommands!))
      chunks.push(chunk)
    }
    const onEnd = () => {
      done()
      if (refusal) return reject(refusal)
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks))
    }
    const onError = (err: Error) => {
      done()
      giveBack()
      reject(err)
    }
    // The client went away before the end of its body: nobody to answer, give the reservation back.
    const onClose = () => onError(clientClosed())
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', onError)
    req.once('close', onClose)
    watch.add(upload)
    if (declared > maxBytes) {
      refusal = new EndpointError(413, `body of ${declared} bytes is over the limit of ${maxBytes} bytes`, [
        'connection',
        'close',
      ])
      drained = 0
      if (declared > drainMax) cut(refusal)
    } else if (declared > 0) {
      if (!budget.tryReserve(declared)) refusal = budget.refusal()
      else {
        reserved = declared
        held.bytes += declared
      }
    }
  })
}
