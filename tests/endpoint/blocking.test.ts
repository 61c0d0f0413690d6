import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { directClient } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'
import { command, eventually, raw, upstash } from './support'

/** Blocking commands get their own connection; pub/sub streams as text/event-stream. */
const shared = inject('stack')
const p = uniquePrefix('block')
const k = (name: string) => `${p}:${name}`

/** Reads a text/event-stream answer event by event. */
function events(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  return {
    async next(): Promise<string> {
      for (;;) {
        const end = buffer.indexOf('\n\n')
        if (end !== -1) {
          const event = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          return event
        }
        const { value, done } = await reader.read()
        if (done) throw new Error('stream ended')
        buffer += decoder.decode(value, { stream: true })
      }
    },
  }
}

describe('blocking commands (shared endpoint)', () => {
  it('a waiting BLPOP does not delay 50 other requests, and a later LPUSH releases it', async () => {
    const redis = upstash(shared, { deserialize: false })
    let blpopDone = false
    const blpop = command(shared, ['BLPOP', k('q'), '10']).then((res) => {
      blpopDone = true
      return res
    })
    // Both on their own connection and visible to Redis as blocked before the others start.
    const direct = await directClient(shared.REDIS_URL)
    try {
      await eventually(async () => ((await direct.sendCommand(['CLIENT', 'LIST'])) as string).includes('cmd=blpop'))
      const others = await Promise.all(Array.from({ length: 50 }, (_, i) => redis.incr(k(`n${i % 5}`))))
      expect(others).toHaveLength(50)
      expect(blpopDone).toBe(false)
      expect(await redis.lpush(k('q'), 'job-1')).toBe(1)
      expect((await blpop).json).toEqual({ result: [k('q'), 'job-1'] })
    } finally {
      await direct.close()
    }
  })

  it('BLPOP that times out answers null; path style and the client (generic exec) both work', async () => {
    expect((await raw(shared, `/blpop/${encodeURIComponent(k('empty'))}/0.05`)).json).toEqual({ result: null })
    const redis = upstash(shared, { deserialize: false })
    await redis.rpush(k('ready'), 'x')
    expect(await redis.exec(['BLPOP', k('ready'), 1])).toEqual([k('ready'), 'x'])
  })

  it('XREAD BLOCK waits on its own connection and returns the entry added later', async () => {
    const read = command(shared, ['XREAD', 'BLOCK', '5000', 'STREAMS', k('stream'), '$'])
    const direct = await directClient(shared.REDIS_URL)
    try {
      await eventually(async () => ((await direct.sendCommand(['CLIENT', 'LIST'])) as string).includes('cmd=xread'))
      const id = (await command(shared, ['XADD', k('stream'), '*', 'f', 'v'])).json as { result: string }
      expect((await read).json).toEqual({ result: [[k('stream'), [[id.result, ['f', 'v']]]]] })
    } finally {
      await direct.close()
    }
  })

  it('a pipeline holding a blocking command runs on its own connection too', async () => {
    const res = await raw(shared, '/pipeline', {
      body: JSON.stringify([
        ['RPUSH', k('pq'), 'a'],
        ['BLPOP', k('pq'), '1'],
        ['LLEN', k('pq')],
      ]),
    })
    expect(res.json).toEqual([{ result: 1 }, { result: [k('pq'), 'a'] }, { result: 0 }])
  })
})

describe('shutdown', () => {
  it('close() ends open streams and blocked commands at once instead of waiting for them', async () => {
    const own = await startStack()
    const direct = await directClient(own.env.REDIS_URL)
    try {
      const res = await fetch(`${own.env.UPSTASH_REDIS_REST_URL}/subscribe/ch`, {
        headers: { authorization: `Bearer ${own.env.UPSTASH_REDIS_REST_TOKEN}` },
      })
      const stream = events(res.body!)
      expect(await stream.next()).toBe('data: subscribe,ch,1')
      const blocked = command(own.env, ['BLPOP', 'never', '0'])
      await eventually(async () => /blocked_clients:1/.test((await direct.sendCommand(['INFO', 'clients'])) as string))
      const started = performance.now()
      await own.endpoint.close()
      expect(performance.now() - started).toBeLessThan(1_000)
      await expect(stream.next()).rejects.toThrow('stream ended')
      // Dropped while sent and waiting: its outcome is unknown to the endpoint, hence 504 (not 503, "not sent").
      expect((await blocked).status).toBe(504)
      await eventually(async () => /blocked_clients:0/.test((await direct.sendCommand(['INFO', 'clients'])) as string))
    } finally {
      await direct.close()
      await own.redis.stop()
    }
  })
})

describe('aborted blocking commands and subscriptions (private stack)', () => {
  let stack: Stack
  let direct: Awaited<ReturnType<typeof directClient>>
  const blockedClients = async () =>
    Number(/blocked_clients:(\d+)/.exec((await direct.sendCommand(['INFO', 'clients'])) as string)![1])

  beforeAll(async () => {
    stack = await startStack()
    direct = await directClient(stack.env.REDIS_URL)
  })
  afterAll(async () => {
    await direct.close()
    await stack.stop()
  })

  it('a client aborting a blocked BLPOP frees its connection and does not eat a later item', async () => {
    const controller = new AbortController()
    const pending = command(stack.env, ['BLPOP', 'jobs', '0']).catch(() => 'never')
    const aborted = raw(stack.env, '/', {
      body: JSON.stringify(['BLPOP', 'jobs', '0']),
      signal: controller.signal,
    }).catch((err: Error) => err.name)
    await eventually(async () => (await blockedClients()) === 2)
    controller.abort()
    expect(await aborted).toBe('AbortError')
    // The endpoint dropped that connection: Redis no longer has it blocked.
    await eventually(async () => (await blockedClients()) === 1)
    expect(stack.endpoint.busyConnections).toBe(1)
    // The next item goes to the BLPOP still waiting, not to the aborted one.
    expect((await command(stack.env, ['RPUSH', 'jobs', 'one'])).json).toEqual({ result: 1 })
    expect(await pending).toMatchObject({ json: { result: ['jobs', 'one'] } })
    await command(stack.env, ['RPUSH', 'jobs', 'two'])
    expect((await command(stack.env, ['LRANGE', 'jobs', '0', '-1'])).json).toEqual({ result: ['two'] })
    await eventually(() => stack.endpoint.busyConnections === 0)
    // Blocking commands keep working afterwards.
    expect((await command(stack.env, ['BLPOP', 'jobs', '1'])).json).toEqual({ result: ['jobs', 'two'] })
  })

  it('streams /subscribe/<channel> as text/event-stream and ends the subscription when the client leaves', async () => {
    const controller = new AbortController()
    const res = await fetch(`${stack.env.UPSTASH_REDIS_REST_URL}/subscribe/news`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.env.UPSTASH_REDIS_REST_TOKEN}` },
      signal: controller.signal,
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/event-stream')
    expect(res.headers.get('upstash-sync-token')).toMatch(/^\d+$/)
    const stream = events(res.body!)
    expect(await stream.next()).toBe('data: subscribe,news,1')
    expect((await command(stack.env, ['PUBLISH', 'news', 'bonjour, le monde'])).json).toEqual({ result: 1 })
    expect(await stream.next()).toBe('data: message,news,bonjour, le monde')
    expect((await command(stack.env, ['PUBLISH', 'news', '✓ second'])).json).toEqual({ result: 1 })
    expect(await stream.next()).toBe('data: message,news,✓ second')
    controller.abort()
    await eventually(async () => ((await direct.sendCommand(['PUBSUB', 'NUMSUB', 'news'])) as unknown[])[1] === 0)
    await eventually(() => stack.endpoint.busyConnections === 0)
  })

  it('streams /psubscribe/<pattern> as pmessage events', async () => {
    const controller = new AbortController()
    const res = await fetch(`${stack.env.UPSTASH_REDIS_REST_URL}/psubscribe/dossier:*`, {
      headers: { authorization: `Bearer ${stack.env.UPSTASH_REDIS_REST_TOKEN}` },
      signal: controller.signal,
    })
    const stream = events(res.body!)
    expect(await stream.next()).toBe('data: psubscribe,dossier:*,1')
    await command(stack.env, ['PUBLISH', 'dossier:42', 'updated'])
    expect(await stream.next()).toBe('data: pmessage,dossier:*,dossier:42,updated')
    controller.abort()
    await eventually(() => stack.endpoint.busyConnections === 0)
  })

  it("@upstash/redis's redis.subscribe() receives a PUBLISHed message", async () => {
    const redis = upstash(stack.env)
    const sub = redis.subscribe<{ dossier: number }>('events')
    try {
      const subscribed = new Promise<number>((resolve) => sub.on('subscribe', resolve))
      const message = new Promise<unknown>((resolve) => sub.on('message', resolve))
      expect(await subscribed).toBe(1)
      expect(await redis.publish('events', { dossier: 123 })).toBe(1)
      expect(await message).toEqual({ channel: 'events', message: { dossier: 123 } })
    } finally {
      await sub.unsubscribe()
    }
    await eventually(() => stack.endpoint.busyConnections === 0)
  })
})
