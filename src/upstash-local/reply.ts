/**
 * Turns RESP2 replies (as node-redis decodes them with bulk strings mapped to Buffer) into the JSON
 * text Upstash's REST API answers with. Bulk strings are Buffers and simple (status) strings are JS
 * strings, which is how `"OK"` the status is told from `"OK"` the stored value.
 * The JSON is written as text directly (no intermediate objects): this runs once per command.
 */

/** A reply as JSON text. `Upstash-Encoding: base64`: every string is base64 of its bytes, except a top-level status `OK`. */
export function replyJson(reply: unknown, base64: boolean, topLevel = true): string {
  if (reply === null || reply === undefined) return 'null'
  if (Buffer.isBuffer(reply)) {
    // base64 text never needs JSON escaping.
    return base64 ? `"${reply.toString('base64')}"` : JSON.stringify(reply.toString('utf8'))
  }
  if (typeof reply === 'string') {
    // A status reply. The client leaves a top-level "OK" as it is and base64-decodes every other string.
    if (!base64 || (topLevel && reply === 'OK')) return JSON.stringify(reply)
    return `"${Buffer.from(reply, 'utf8').toString('base64')}"`
  }
  if (typeof reply === 'number') return Number.isFinite(reply) ? String(reply) : JSON.stringify(String(reply))
  if (Array.isArray(reply)) {
    let out = '['
    for (let i = 0; i < reply.length; i++) out += (i === 0 ? '' : ',') + replyJson(reply[i], base64, false)
    return `${out}]`
  }
  // An error nested in an array (e.g. a script returning an error table): its message, as a string.
  if (reply instanceof Error) return replyJson(reply.message, base64, false)
  if (typeof reply === 'bigint') return String(reply)
  if (typeof reply === 'boolean') return reply ? '1' : '0'
  return replyJson(String(reply), base64, topLevel)
}

/** `{"result":…}` for one command. */
export function resultJson(reply: unknown, base64: boolean): string {
  return `{"result":${replyJson(reply, base64)}}`
}

/**
 * Bytes of data in a reply (bulk and status strings, plus a few per element), computed without
 * building anything: what the endpoint checks against its reply limit before encoding a reply.
 * Stops counting once past `limit` (a reply of a million elements is not walked to the end).
 */
export function replySize(reply: unknown, limit: number): number {
  if (Buffer.isBuffer(reply)) return reply.length + 2
  if (typeof reply === 'string') return reply.length + 2
  if (Array.isArray(reply)) {
    let size = 2
    for (let i = 0; i < reply.length && size <= limit; i++) size += replySize(reply[i], limit) + 1
    return size
  }
  if (reply instanceof Error) return reply.message.length + 2
  return 8
}

/**
 * resultJson, or an error entry when the reply cannot be encoded (a string over V8's limit, a
 * structure too deep): such a failure must become an answer, never an exception escaping a callback.
 */
export function safeResultJson(reply: unknown, base64: boolean): string {
  try {
    return resultJson(reply, base64)
  } catch (err) {
    return errorJson(`ERR the reply could not be encoded as JSON (${(err as Error).message})`)
  }
}

/** `{"error":"…"}` for one command, or for a whole request. */
export function errorJson(message: string): string {
  return `{"error":${JSON.stringify(message)}}`
}
