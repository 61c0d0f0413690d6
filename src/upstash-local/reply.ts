/**
 * Turns a RESP2 reply (as node-redis decodes it with bulk strings mapped to Buffer) into the JSON
 * value Upstash's REST API answers with. Bulk strings are Buffers and simple (status) strings are JS
 * strings, which is how we tell `"OK"` the status from `"OK"` the stored value.
 */
export type JsonReply = string | number | null | JsonReply[]

/** `Upstash-Encoding: base64`: every string is base64 of its bytes, except a top-level status `OK`. */
export function encodeReply(reply: unknown, base64: boolean, topLevel = true): JsonReply {
  if (reply === null || reply === undefined) return null
  if (Buffer.isBuffer(reply)) return base64 ? reply.toString('base64') : reply.toString('utf8')
  if (typeof reply === 'string') {
    // A status reply. The client leaves a top-level "OK" as it is and base64-decodes every other string.
    if (!base64 || (topLevel && reply === 'OK')) return reply
    return Buffer.from(reply, 'utf8').toString('base64')
  }
  if (typeof reply === 'number') return reply
  if (typeof reply === 'bigint') return Number(reply)
  if (Array.isArray(reply)) {
    const out: JsonReply[] = new Array(reply.length)
    for (let i = 0; i < reply.length; i++) out[i] = encodeReply(reply[i], base64, false)
    return out
  }
  if (reply instanceof Error) {
    // An error nested in an array (e.g. a script returning an error table): its message, as a string.
    return encodeReply(reply.message, base64, false)
  }
  if (typeof reply === 'boolean') return reply ? 1 : 0
  return encodeReply(String(reply), base64, topLevel)
}
