import type { ServerResponse } from 'node:http'

/**
 * One server-sent event carrying `data`, however many lines it has. The event-stream format ends an
 * event at a blank line and a field at CR, LF or CRLF, so a payload with line breaks written as is
 * would forge extra events. Each line of the payload gets its own `data` field instead, and a
 * spec-compliant reader joins them back with LF (a CR or CRLF in a payload comes out as LF).
 *
 * @upstash/redis's subscriber is not such a reader: it splits on LF and takes every line starting
 * with `data: ` (with the space) as a whole event. So the first line is `data: ` + the first line of
 * the payload (its one event, which it sees truncated to that line), and continuation lines are
 * written `data:<line>` without the space, which it ignores. A continuation line that itself starts
 * with a space is written `data: <line>` (the reader strips exactly one space): the client then sees
 * an event whose type starts with a space, which matches no listener, so nothing is forged either way.
 */
export function sseEvent(data: string): string {
  if (!/[\r\n]/.test(data)) return `data: ${data}\n\n`
  const lines = data.split(/\r\n|\r|\n/)
  let out = `data: ${lines[0]}\n`
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    out += line.startsWith(' ') ? `data: ${line}\n` : `data:${line}\n`
  }
  return `${out}\n`
}
import type { Client } from './redis-connections'

/** What to subscribe to, and what the stream carries besides the events. */
export interface Subscription {
  /** PSUBSCRIBE (patterns) instead of SUBSCRIBE. */
  pattern: boolean
  channels: string[]
  /** Extra response headers, as a flat list. */
  headers: string[]
  /** Runs once when the stream ends, to drop the connection. */
  onEnd: () => void
}

/**
 * Upstash's pub/sub over REST: subscribes `client` (a dedicated connection) and streams
 * `text/event-stream` events `data: subscribe,<channel>,<count>` then `data: message,<channel>,<message>`
 * (`pmessage,<pattern>,<channel>,<message>` for patterns), which is what `redis.subscribe()` of
 * @upstash/redis parses. Resolves once every subscription is confirmed; the stream lasts until the
 * caller closes it (or `res.end()` on shutdown), and `onEnd` runs once then to drop the connection.
 */
export async function streamSubscription(
  res: ServerResponse,
  client: Client,
  subscription: Subscription,
): Promise<void> {
  const { pattern, channels, headers, onEnd } = subscription
  res.writeHead(200, ['content-type', 'text/event-stream', 'cache-control', 'no-cache', ...headers])
  res.flushHeaders()
  let ended = false
  res.once('close', () => {
    if (ended) return
    ended = true
    onEnd()
  })
  const send = (data: string) => {
    if (!res.writableEnded && !res.destroyed) res.write(sseEvent(data))
  }
  let count = 0
  for (const channel of channels) {
    if (pattern) await client.pSubscribe(channel, (message, ch) => send(`pmessage,${channel},${ch},${message}`))
    else await client.subscribe(channel, (message, ch) => send(`message,${ch},${message}`))
    send(`${pattern ? 'psubscribe' : 'subscribe'},${channel},${++count}`)
  }
}
