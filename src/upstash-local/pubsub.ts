import type { ServerResponse } from 'node:http'
import type { Client } from './redis-connections'

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
  pattern: boolean,
  channels: string[],
  headers: string[],
  onEnd: () => void,
): Promise<void> {
  res.writeHead(200, ['content-type', 'text/event-stream', 'cache-control', 'no-cache', ...headers])
  res.flushHeaders()
  let ended = false
  res.once('close', () => {
    if (ended) return
    ended = true
    onEnd()
  })
  const send = (line: string) => {
    if (!res.writableEnded && !res.destroyed) res.write(`data: ${line}\n\n`)
  }
  let count = 0
  for (const channel of channels) {
    if (pattern) await client.pSubscribe(channel, (message, ch) => send(`pmessage,${channel},${ch},${message}`))
    else await client.subscribe(channel, (message, ch) => send(`message,${ch},${message}`))
    send(`${pattern ? 'psubscribe' : 'subscribe'},${channel},${++count}`)
  }
}
