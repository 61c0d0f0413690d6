import type { Command, RedisArg } from './redis-connections'

/**
 * Replies bounded BEFORE they are built. The endpoint checks a reply's size once node-redis has decoded
 * it, but by then it sits in the endpoint's memory: `SRANDMEMBER k -3000000` (a 30-byte request) makes
 * Redis build, and node-redis decode, three million elements (~317 MB of heap, a Buffer object each),
 * whatever --max-reply-bytes says. So commands whose arguments fix, or cap, how much they answer are
 * refused when those arguments already ask for more than the limit; likewise writes whose arguments
 * alone would build a value over --max-value-bytes (SETRANGE, SETBIT, BITFIELD: 200 bytes → 100 MB).
 * Replies bounded only by the data stored (GET, LRANGE 0 -1, HGETALL…) are left to the check after
 * decoding; Redis's maxmemory bounds that data.
 */

/**
 * Memory counted per reply element when the element count is known from the arguments: node-redis
 * allocates a Buffer (and an array slot) per element, ~100 bytes of heap each, whatever its length.
 */
export const ELEMENT_BYTES = 64

export interface BoundLimits {
  maxReplyBytes: number
  maxValueBytes: number
}

const int = (a: RedisArg | undefined): number | undefined => {
  if (typeof a !== 'string' || !/^-?\d{1,18}$/.test(a)) return undefined
  return Number(a)
}
const upper = (a: RedisArg | undefined) => (typeof a === 'string' ? a.toUpperCase() : '')
const has = (args: Command, word: string, from = 2) => {
  for (let i = from; i < args.length; i++) if (upper(args[i]) === word) return true
  return false
}
/** The number after `word` (e.g. COUNT 10, LIMIT 0 10 → the count), or undefined. */
const after = (args: Command, word: string, skip = 0): number | undefined => {
  for (let i = 1; i < args.length - 1 - skip; i++) if (upper(args[i]) === word) return int(args[i + 1 + skip])
  return undefined
}

/** Elements a reply is asked for (a count, or a range with both ends given), when the arguments say; else undefined. */
type Estimate = (args: Command) => { elements?: number; bytes?: number; what: string } | undefined

const randCount: (withWord: string) => Estimate = (withWord) => (args) => {
  const count = int(args[2])
  if (count === undefined) return undefined
  // A negative count repeats elements: its reply does not depend on what is stored.
  return { elements: Math.abs(count) * (has(args, withWord, 3) ? 2 : 1), what: `a count of ${count}` }
}
const indexRange: (scoresWord?: string) => Estimate = (scoresWord) => (args) => {
  const limit = after(args, 'LIMIT', 1)
  const scores = scoresWord !== undefined && has(args, scoresWord, 4) ? 2 : 1
  if (limit !== undefined && limit >= 0) return { elements: limit * scores, what: `LIMIT … ${limit}` }
  if (has(args, 'BYSCORE', 4) || has(args, 'BYLEX', 4)) return undefined
  const start = int(args[2])
  const stop = int(args[3])
  // Negative ends count from the end of what is stored: bounded by the data, checked after decoding.
  if (start === undefined || stop === undefined || start < 0 || stop < 0 || stop < start) return undefined
  return { elements: (stop - start + 1) * scores, what: `the range ${start}..${stop}` }
}
const limitOnly: Estimate = (args) => {
  const limit = after(args, 'LIMIT', 1)
  if (limit === undefined || limit < 0) return undefined
  return { elements: limit * (has(args, 'WITHSCORES', 4) ? 2 : 1), what: `LIMIT … ${limit}` }
}
const countArg: (index: number, factor?: number) => Estimate =
  (index, factor = 1) =>
  (args) => {
    const count = int(args[index])
    return count === undefined || count < 0 ? undefined : { elements: count * factor, what: `a count of ${count}` }
  }
const countWord: (factor?: number) => Estimate =
  (factor = 1) =>
  (args) => {
    const count = after(args, 'COUNT')
    return count === undefined || count <= 0 ? undefined : { elements: count * factor, what: `COUNT ${count}` }
  }
const byteRange: Estimate = (args) => {
  const start = int(args[2])
  const end = int(args[3])
  if (start === undefined || end === undefined || start < 0 || end < 0 || end < start) return undefined
  return { bytes: end - start + 1, what: `the byte range ${start}..${end}` }
}
const sort: Estimate = (args) => {
  const limit = after(args, 'LIMIT', 1)
  if (limit === undefined || limit < 0 || has(args, 'STORE')) return undefined
  let gets = 0
  for (let i = 2; i < args.length; i++) if (upper(args[i]) === 'GET') gets++
  return { elements: limit * Math.max(gets, 1), what: `LIMIT … ${limit} with ${Math.max(gets, 1)} GET` }
}

const REPLIES = new Map<string, Estimate>([
  ['SRANDMEMBER', randCount('')],
  ['HRANDFIELD', randCount('WITHVALUES')],
  ['ZRANDMEMBER', randCount('WITHSCORES')],
  ['LRANGE', indexRange()],
  ['ZRANGE', indexRange('WITHSCORES')],
  ['ZREVRANGE', indexRange('WITHSCORES')],
  ['ZRANGEBYSCORE', limitOnly],
  ['ZREVRANGEBYSCORE', limitOnly],
  ['ZRANGEBYLEX', limitOnly],
  ['ZREVRANGEBYLEX', limitOnly],
  ['GETRANGE', byteRange],
  ['SUBSTR', byteRange],
  ['LPOP', countArg(2)],
  ['RPOP', countArg(2)],
  ['SPOP', countArg(2)],
  ['ZPOPMIN', countArg(2, 2)],
  ['ZPOPMAX', countArg(2, 2)],
  ['LMPOP', countWord()],
  ['ZMPOP', countWord(2)],
  ['LPOS', countWord()],
  ['XRANGE', countWord()],
  ['XREVRANGE', countWord()],
  ['SORT', sort],
  ['SORT_RO', sort],
])

/** Bytes a write's arguments alone make a value grow to, when they say. */
type Growth = (args: Command) => { bytes: number; what: string } | undefined

const BITFIELD_TYPE = /^[iu](\d{1,2})$/i
const bitfield: Growth = (args) => {
  let most = 0
  for (let i = 2; i < args.length - 2; i++) {
    const op = upper(args[i])
    if (op !== 'SET' && op !== 'INCRBY' && op !== 'GET') continue
    const bits = Number(BITFIELD_TYPE.exec(typeof args[i + 1] === 'string' ? (args[i + 1] as string) : '')?.[1] ?? NaN)
    const raw = typeof args[i + 2] === 'string' ? (args[i + 2] as string) : ''
    const offset = raw.startsWith('#') ? int(raw.slice(1)) : int(raw)
    if (!Number.isFinite(bits) || offset === undefined || offset < 0) continue
    most = Math.max(most, Math.ceil(((raw.startsWith('#') ? offset * bits : offset) + bits) / 8))
  }
  return most > 0 ? { bytes: most, what: 'its bit offsets' } : undefined
}

const GROWTH = new Map<string, Growth>([
  [
    'SETRANGE',
    (args) => {
      const offset = int(args[2])
      const value = args[3]
      return offset === undefined || offset < 0 || value === undefined
        ? undefined
        : { bytes: offset + value.length, what: `offset ${offset}` }
    },
  ],
  [
    'SETBIT',
    (args) => {
      const offset = int(args[2])
      return offset === undefined || offset < 0
        ? undefined
        : { bytes: Math.floor(offset / 8) + 1, what: `bit offset ${offset}` }
    },
  ],
  ['BITFIELD', bitfield],
])

const unbounded = new Set<string>()

/** The refusal (an `ERR …` message) for a command whose arguments alone ask for too much, else undefined. Cheap when they do not. */
export function boundRefusal(args: Command, limits: BoundLimits): string | undefined {
  const first = args[0]
  // Hot path: most names sent (get, set, incr…) are neither; remember them as sent, bounded.
  if (typeof first !== 'string' || unbounded.has(first)) return undefined
  const name = first.toUpperCase()
  if (!REPLIES.has(name) && !GROWTH.has(name)) {
    if (unbounded.size < 1024) unbounded.add(first)
    return undefined
  }
  const reply = REPLIES.get(name)
  if (reply) {
    const e = reply(args)
    if (!e) return undefined
    const elements = e.elements ?? 0
    const most = Math.floor(limits.maxReplyBytes / ELEMENT_BYTES)
    if (elements > most) {
      return `ERR reply too large: ${name} with ${e.what} asks for ${elements} elements, over what the endpoint's limit of ${limits.maxReplyBytes} bytes per request (--max-reply-bytes) allows (${most} elements, at ${ELEMENT_BYTES} bytes of memory each); not run, ask for less at a time`
    }
    if ((e.bytes ?? 0) > limits.maxReplyBytes) {
      return `ERR reply too large: ${name} with ${e.what} asks for ${e.bytes} bytes, over the endpoint's limit of ${limits.maxReplyBytes} bytes per request (--max-reply-bytes); not run, ask for less at a time`
    }
    return undefined
  }
  const growth = GROWTH.get(name)?.(args)
  if (growth && growth.bytes > limits.maxValueBytes) {
    return `ERR value too large: ${name} with ${growth.what} would make a value of ${growth.bytes} bytes, over the endpoint's limit of ${limits.maxValueBytes} bytes per value (--max-value-bytes); not run`
  }
  return undefined
}
