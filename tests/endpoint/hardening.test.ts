import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import {
  startEndpoint,
  startRedisServer,
  type EndpointOptions,
  type OwnRedisServer,
  type RunningEndpoint,
} from '@/upstash-local'
import { directClient } from '../../testing/redis-direct'
import { command, eventually, raw, upstash, type Target } from './support'

/**
 * The "endpoint hardening" findings, each reproduced against a private redis-server and a private
 * endpoint (real HTTP, no mocks). The memory finding runs the CLI as a child process: memory.test.ts.
 */
let redis: OwnRedisServer | undefined
let endpoint: RunningEndpoint | undefined
afterEach(async () => {
  if (redis?.process.exitCode === null && redis.process.signalCode === null) {
    redis.process.kill('SIGCONT')
    // A Redis stuck in a script that cannot be killed does not stop on SIGTERM.
    redis.process.kill('SIGKILL')
  }
  await endpoint?.close()
  redis = endpoint = undefined
})

async function start(options: Partial<EndpointOptions> = {}): Promise<Target & { admin: string }> {
  redis = await startRedisServer()
  const token = randomBytes(16).toString('hex')
  endpoint = await startEndpoint({ redisUrl: redis.endpointUrl, token, port: 0, ...options })
  return { UPSTASH_REDIS_REST_URL: endpoint.url, UPSTASH_REDIS_REST_TOKEN: token, admin: redis.url }
}

const errorOf = (res: { json: unknown }) => (res.json as { error: string }).error

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now()
  const out = await run()
  return [out, performance.now() - t]
}

describe('1. replies over the size limit', () => {
  // Moving 90 MB through Redis, node-redis and the size check takes seconds on a loaded machine: past the
  // default --timeout that is a 504 (as the protocol says), which is not what these tests are about.
  const SLOW_OK = 30_000

  it(
    'GET of a 90 MB value answers an error naming the limit (alone and as one pipeline entry) and the process keeps serving',
    async () => {
      const target = await start({ timeoutMs: SLOW_OK })
      expect((await command(target, ['SETRANGE', 'bigz', '89999999', 'x'])).json).toEqual({ result: 90_000_000 })
      const res = await command(target, ['GET', 'bigz'])
      expect(res.status).toBe(400)
      expect(errorOf(res)).toMatch(/reply too large: over the endpoint's limit of 10485760 bytes .*--max-reply-bytes/)
      await command(target, ['SET', 'small', 'ok'])
      const piped = await raw(target, '/pipeline', {
        body: JSON.stringify([
          ['GET', 'small'],
          ['GET', 'bigz'],
          ['STRLEN', 'bigz'],
        ]),
      })
      expect(piped.status).toBe(200)
      const [first, second, third] = piped.json as { result?: unknown; error?: string }[]
      expect(first).toEqual({ result: 'ok' })
      expect(second!.error).toMatch(/reply too large/)
      expect(third).toEqual({ result: 90_000_000 })
      // Replies of one pipeline count together.
      await command(target, ['SET', 'six', 'x'.repeat(6 * 1024 * 1024)])
      const both = (
        await raw(target, '/pipeline', {
          body: JSON.stringify([
            ['GET', 'six'],
            ['GET', 'six'],
          ]),
        })
      ).json as { error?: string }[]
      expect(both[0]).not.toHaveProperty('error')
      expect(both[1]!.error).toMatch(/reply too large: .*with the ones before it/)
      expect((await command(target, ['PING'])).json).toEqual({ result: 'PONG' })
    },
    2 * SLOW_OK,
  )

  it(
    'a reply that cannot be encoded (limit raised past what V8 can build) becomes an error answer, not a crash',
    async () => {
      const target = await start({ maxReplyBytes: 600 * 1024 * 1024, timeoutMs: SLOW_OK })
      await command(target, ['SETRANGE', 'bigz', '89999999', 'x'])
      const res = await command(target, ['GET', 'bigz'])
      expect(res.status).toBe(400)
      expect(errorOf(res)).toMatch(/^ERR the reply could not be encoded as JSON \(.*Invalid string length/)
      expect((await command(target, ['PING'])).json).toEqual({ result: 'PONG' })
    },
    2 * SLOW_OK,
  )

  it('the limit is an option with a clear message', async () => {
    await expect(
      startEndpoint({ redisUrl: 'redis://127.0.0.1:1', token: randomBytes(16).toString('hex'), maxReplyBytes: 10 }),
    ).rejects.toThrow(/maxReplyBytes \(--max-reply-bytes\) must be at least 1024 bytes/)
  })
})

describe('2. commands per request', () => {
  it('a pipeline of more than --max-commands commands gets 413 without being run', async () => {
    const target = await start({ maxCommands: 100 })
    const body = JSON.stringify(Array.from({ length: 101 }, () => ['INCR', 'n']))
    const res = await raw(target, '/pipeline', { body })
    expect(res.status).toBe(413)
    // Counted as the body streams in (so the exact number is not known yet) or, for a short body, after parsing.
    expect(errorOf(res)).toMatch(
      /(101|more than 100) commands in one request, over the limit of 100 \(--max-commands\)/,
    )
    expect((await raw(target, '/multi-exec', { body })).status).toBe(413)
    expect((await command(target, ['GET', 'n'])).json).toEqual({ result: null })
    expect(
      (await raw(target, '/pipeline', { body: JSON.stringify(Array.from({ length: 100 }, () => ['INCR', 'n'])) }))
        .status,
    ).toBe(200)
  })
})

describe('3. a broken or overdue Redis connection', () => {
  it('a reply nested too deep for the decoder: the caller gets a 504 saying why, the connection is rebuilt, others are served at once', async () => {
    const target = await start()
    const deep = await command(target, [
      'EVAL',
      'local t={} local c=t for i=1,3000 do local n={} c[1]=n c=n end return t',
      '0',
    ])
    expect(deep.status).toBe(504)
    expect(errorOf(deep)).toMatch(/reply could not be decoded \(Maximum call stack size exceeded\).*may have run/)
    // Not one request lost to a desynchronised connection: every answer is its own.
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => command(target, ['ECHO', `e${i}`])))
    for (const [i, a] of answers.entries()) expect(a.json).toEqual({ result: `e${i}` })
  })

  it('a runaway script is stopped after --script-timeout (on a separate connection), its caller gets a clear error, others are served again', async () => {
    const target = await start({ timeoutMs: 500, scriptTimeoutMs: 1_000 })
    // Redis only accepts SCRIPT KILL once a script has run busy-reply-threshold ms (default 5 s): the operator aligns it.
    const admin = await directClient(target.admin)
    await admin.sendCommand(['CONFIG', 'SET', 'busy-reply-threshold', '1000'])
    await admin.close()
    const started = performance.now()
    const script = command(target, ['EVAL', 'while true do end', '0'])
    // While it runs, others get a 503 at once (not sent), not a hang.
    await eventually(async () => (await command(target, ['GET', 'k'])).status === 503, 3_000, 20)
    const [busy, busyMs] = await timed(() => command(target, ['GET', 'k']))
    if (busy.status === 503) {
      expect(busyMs).toBeLessThan(200)
      expect(errorOf(busy)).toMatch(/not sent, safe to retry/)
    }
    const res = await script
    expect(res.status).toBe(400)
    expect(errorOf(res)).toMatch(
      /the script ran longer than the endpoint's limit of 1000 ms \(--script-timeout\) and was stopped/,
    )
    await eventually(async () => (await command(target, ['GET', 'k'])).status === 200, 3_000, 20)
    expect(performance.now() - started).toBeLessThan(4_000)
  })

  it('SCRIPT KILL sent by a client does not wait behind the script it stops', async () => {
    const target = await start({ timeoutMs: 500, scriptTimeoutMs: 60_000 })
    const admin = await directClient(target.admin)
    await admin.sendCommand(['CONFIG', 'SET', 'busy-reply-threshold', '300'])
    const script = command(target, ['EVAL', 'while true do end', '0'])
    await admin.close()
    // Retried until Redis is in its busy state (before it, there is no script to kill yet).
    await eventually(async () => (await command(target, ['SCRIPT', 'KILL'])).status === 200, 5_000, 50)
    const res = await script
    expect(errorOf(res)).toMatch(/killed by user with SCRIPT KILL/i)
    expect((await command(target, ['PING'])).json).toEqual({ result: 'PONG' })
  })

  it('a script that wrote cannot be killed: others get a 503 that says so, never SHUTDOWN NOSAVE', async () => {
    const target = await start({ timeoutMs: 500, scriptTimeoutMs: 500 })
    const admin = await directClient(target.admin)
    await admin.sendCommand(['CONFIG', 'SET', 'busy-reply-threshold', '500'])
    await admin.close()
    const script = command(target, ['EVAL', "redis.call('SET', KEYS[1], '1') while true do end", '1', 'wrote'])
    await eventually(
      async () => /cannot be stopped/.test(errorOf(await command(target, ['GET', 'k'])) ?? ''),
      8_000,
      50,
    )
    const res = await command(target, ['GET', 'k'])
    expect(res.status).toBe(503)
    expect(errorOf(res)).toMatch(/a script that has written data, so it cannot be stopped .*never uses SHUTDOWN NOSAVE/)
    // Redis is still there (its data too): nobody shut it down.
    expect(redis!.process.exitCode).toBeNull()
    const scriptRes = await script
    expect(scriptRes.status).toBe(504)
  }, 20_000)
})

describe('4. 503 = not executed, 504 = outcome unknown', () => {
  it('under an INCR load while Redis is frozen (SIGSTOP), no 503 ever lands and every 200 did', async () => {
    const target = await start({ timeoutMs: 400 })
    let stop = false
    const outcomes: { key: string; status: number }[] = []
    let n = 0
    const loop = async () => {
      while (!stop) {
        const key = `incr:${n++}`
        const res = await command(target, ['INCR', key])
        outcomes.push({ key, status: res.status })
      }
    }
    const loops = Array.from({ length: 16 }, loop)
    await eventually(() => outcomes.length > 200)
    redis!.process.kill('SIGSTOP')
    // Frozen long enough for sent commands to time out (504) and new ones to be refused (503).
    await eventually(
      () => outcomes.filter((o) => o.status === 503).length > 50 && outcomes.some((o) => o.status === 504),
      5_000,
      10,
    )
    redis!.process.kill('SIGCONT')
    await eventually(async () => (await command(target, ['PING'])).status === 200)
    const after = outcomes.length
    await eventually(() => outcomes.length > after + 200)
    stop = true
    await Promise.all(loops)

    const direct = await directClient(target.admin)
    try {
      const values = (await direct.sendCommand(['MGET', ...outcomes.map((o) => o.key)])) as (string | null)[]
      const by = (status: number) =>
        outcomes.map((o, i) => ({ ...o, value: values[i] })).filter((o) => o.status === status)
      expect(by(503).length).toBeGreaterThan(0)
      expect(by(504).length).toBeGreaterThan(0)
      for (const o of by(200)) expect(o.value).toBe('1')
      for (const o of by(503)) expect(o.value).toBeNull()
      expect(new Set(outcomes.map((o) => o.status))).toEqual(new Set([200, 503, 504]))
    } finally {
      await direct.close()
    }
  })
})

describe('5. blocking commands are capped', () => {
  it('1 000 concurrent BLPOPs open at most --max-blocking connections; the excess gets 429, other requests stay fast', async () => {
    const target = await start()
    const direct = await directClient(target.admin)
    try {
      let settled = 0
      const blpops = Array.from({ length: 1000 }, () =>
        command(target, ['BLPOP', 'never', '0'])
          .catch((e: Error) => ({ status: 0, json: { error: e.message } }))
          .finally(() => settled++),
      )
      // 900 refused at once, 100 blocked in Redis.
      await eventually(() => settled === 900 && endpoint!.busyConnections === 100, 10_000)
      const [get, ms] = await timed(() => command(target, ['GET', 'k']))
      expect(get.status).toBe(200)
      expect(ms).toBeLessThan(1_000)
      const clients = Number(
        /connected_clients:(\d+)/.exec((await direct.sendCommand(['INFO', 'clients'])) as string)![1],
      )
      expect(clients).toBeLessThanOrEqual(100 + 1 + 1 + 2) // blocked + pool + this client + control/idle slack
      // Release the blocked ones: 100 items, 100 BLPOPs.
      await command(target, ['RPUSH', 'never', ...Array.from({ length: 100 }, (_, i) => String(i))])
      const all = await Promise.all(blpops)
      const statuses = all.map((r) => r.status)
      expect(statuses.filter((s) => s === 200)).toHaveLength(100)
      expect(statuses.filter((s) => s === 429)).toHaveLength(900)
      const tooMany = all.find((r) => r.status === 429)!
      expect(errorOf(tooMany)).toMatch(
        /too many blocking commands and subscriptions in progress \(100, the endpoint's --max-blocking limit\)/,
      )
    } finally {
      await direct.close()
    }
  }, 30_000)
})

/** A reader that follows the event-stream format (CR, LF, CRLF line ends; `data` fields joined with LF). */
function specEvents(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  const events: string[] = []
  let data: string[] = []
  const feed = (text: string) => {
    buffer += text
    for (;;) {
      const m = /\r\n|\r|\n/.exec(buffer)
      if (!m) return
      // A CR at the very end may be the first half of CRLF: wait for more.
      if (m[0] === '\r' && m.index === buffer.length - 1) return
      const line = buffer.slice(0, m.index)
      buffer = buffer.slice(m.index + m[0].length)
      if (line === '') {
        if (data.length) events.push(data.join('\n'))
        data = []
      } else if (line.startsWith('data')) {
        let value = line.slice(line.indexOf(':') + 1)
        if (value.startsWith(' ')) value = value.slice(1)
        data.push(value)
      }
    }
  }
  return {
    async next(): Promise<string> {
      while (events.length === 0) {
        const { value, done } = await reader.read()
        if (done) throw new Error('stream ended')
        feed(decoder.decode(value, { stream: true }))
      }
      return events.shift()!
    },
    cancel: () => reader.cancel(),
  }
}

describe('6. pub/sub framing', () => {
  it('a message with newlines and blank lines is one event, for a spec reader and for @upstash/redis (which sees no forged event)', async () => {
    const target = await start()
    const res = await fetch(`${target.UPSTASH_REDIS_REST_URL}/subscribe/news`, {
      headers: { authorization: `Bearer ${target.UPSTASH_REDIS_REST_TOKEN}` },
    })
    const stream = specEvents(res.body!)
    expect(await stream.next()).toBe('subscribe,news,1')

    const client = upstash(target, { deserialize: false })
    const sub = client.subscribe<string>('news')
    const received: unknown[] = []
    const subscribes: number[] = []
    await new Promise((resolve) => sub.on('subscribe', resolve))
    sub.on('message', (m) => received.push(m.message))
    sub.on('subscribe', (count) => subscribes.push(count))

    const forged = 'line one\n\ndata: message,news,FORGED\n\r\nmessage,news,FORGED2\n message,news,FORGED3\rend'
    expect((await command(target, ['PUBLISH', 'news', forged])).json).toEqual({ result: 2 })
    await command(target, ['PUBLISH', 'news', 'next'])
    expect(await stream.next()).toBe(`message,news,${forged.replace(/\r\n|\r/g, '\n')}`)
    expect(await stream.next()).toBe('message,news,next')
    await eventually(() => received.includes('next'))
    // The @upstash/redis subscriber splits lines itself: it gets the first line only, and nothing forged.
    expect(received).toEqual(['line one', 'next'])
    expect(subscribes).toEqual([])
    await sub.unsubscribe()
    await stream.cancel()
  })

  it('a channel name with a newline cannot forge an event either', async () => {
    const target = await start()
    const channel = 'a\n\ndata: message,admin,FORGED'
    const res = await fetch(`${target.UPSTASH_REDIS_REST_URL}/subscribe/${encodeURIComponent(channel)}`, {
      headers: { authorization: `Bearer ${target.UPSTASH_REDIS_REST_TOKEN}` },
    })
    const stream = specEvents(res.body!)
    expect(await stream.next()).toBe(`subscribe,${channel},1`)
    await command(target, ['PUBLISH', channel, 'hi'])
    expect(await stream.next()).toBe(`message,${channel},hi`)
    await stream.cancel()
  })
})
