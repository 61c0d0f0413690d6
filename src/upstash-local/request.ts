import type { IncomingMessage } from 'node:http'
import type { Command } from './redis-connections'

/** A request the endpoint rejects before reaching Redis: HTTP status and the message of its `{"error"}` body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
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
export function toCommands(value: unknown, route: string): Command[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new HttpError(400, `${route}: expected a non-empty JSON array of commands like [["SET","k","v"],["GET","k"]]`)
  }
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
 * The whole request body, or an HttpError 413 as soon as it is known to exceed `maxBytes`
 * (from Content-Length before reading anything, else while streaming).
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (declared > maxBytes) {
    return Promise.reject(new HttpError(413, `body of ${declared} bytes is over the limit of ${maxBytes} bytes`))
  }
  if (declared === 0 && req.headers['transfer-encoding'] === undefined) {
    // No body (GET, or POST without one): nothing to wait for beyond the end of the request.
    req.resume()
    return Promise.resolve(EMPTY)
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) {
        req.off('data', onData)
        req.resume()
        reject(new HttpError(413, `body is over the limit of ${maxBytes} bytes`))
      } else chunks.push(chunk)
    }
    req.on('data', onData)
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    req.once('error', reject)
  })
}
