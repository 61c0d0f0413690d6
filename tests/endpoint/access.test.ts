/**
 * Who may use the endpoint, and what for: strong tokens only, no web pages (Origin, Sec-Fetch-Site),
 * no DNS rebinding (foreign Host), no administration commands (at the top level, in pipelines, in
 * transactions, and inside scripts through Redis's own ACL on the endpoint's own redis-server).
 */
import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startEndpoint } from '@/upstash-local'
import { directClient } from '../../testing/redis-direct'
import { startStack, type Stack } from '../../testing/stack'
import { command, raw, type Target } from './support'

let stack: Stack
let target: Target

beforeAll(async () => {
  stack = await startStack()
  target = stack.env
})
afterAll(async () => {
  await stack?.stop()
})

/** A request with a Host header of our choosing (fetch does not let one set it). */
function withHost(host: string): Promise<number> {
  const url = new URL(target.UPSTASH_REDIS_REST_URL)
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: '/ping',
        method: 'GET',
        headers: { host, authorization: `Bearer ${target.UPSTASH_REDIS_REST_TOKEN}` },
      },
      (res) => {
        res.resume()
        resolve(res.statusCode!)
      },
    )
    req.on('error', reject)
    req.end()
  })
}

describe('tokens', () => {
  it.each([
    ['change-me', /placeholder/],
    ['short-token', /at least 16 characters/],
    ['your-token-goes-here-please', /placeholder/],
  ])('refuses to start with the token %j', async (token, message) => {
    await expect(startEndpoint({ redisUrl: stack.redis.endpointUrl, token, port: 0 })).rejects.toThrow(message)
  })
})

describe('web pages and foreign hosts', () => {
  it('refuses a cross-site POST from a page, even with the right token in the query, and writes nothing', async () => {
    const res = await raw(target, `/?_token=${target.UPSTASH_REDIS_REST_TOKEN}`, {
      auth: false,
      body: '["SET","pwned","1"]',
      headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
    })
    expect(res.status).toBe(403)
    expect((res.json as { error: string }).error).toMatch(/web pages/)
    expect((await raw(target, '/ping', { headers: { 'sec-fetch-site': 'cross-site' } })).status).toBe(403)
    expect((await raw(target, '/ping', { headers: { origin: 'null' } })).status).toBe(403)
    const direct = await directClient(stack.env.REDIS_URL)
    try {
      expect(await direct.exists('pwned')).toBe(0)
    } finally {
      await direct.close()
    }
  })

  it('lets an origin listed in allowOrigins through', async () => {
    const endpoint = await startEndpoint({
      redisUrl: stack.redis.endpointUrl,
      token: 'a-strong-enough-token-1234',
      port: 0,
      allowOrigins: ['http://localhost:3000'],
    })
    try {
      const t = { UPSTASH_REDIS_REST_URL: endpoint.url, UPSTASH_REDIS_REST_TOKEN: endpoint.token }
      expect((await raw(t, '/ping', { headers: { origin: 'http://localhost:3000' } })).status).toBe(200)
      expect((await raw(t, '/ping', { headers: { origin: 'http://localhost:3001' } })).status).toBe(403)
    } finally {
      await endpoint.close()
    }
  })

  it('answers only requests addressed to a loopback name when bound to loopback (DNS rebinding)', async () => {
    const port = new URL(target.UPSTASH_REDIS_REST_URL).port
    expect(await withHost(`127.0.0.1:${port}`)).toBe(200)
    expect(await withHost(`localhost:${port}`)).toBe(200)
    expect(await withHost(`[::1]:${port}`)).toBe(200)
    expect(await withHost(`attacker.example:${port}`)).toBe(403)
    expect(await withHost('evil.example')).toBe(403)
  })
})

describe('administration commands', () => {
  /** The server's memory bound before anyone tried to change it (the endpoint's own redis-server has one). */
  let maxmemoryBefore: Record<string, string>
  beforeAll(async () => {
    const direct = await directClient(stack.env.REDIS_URL)
    try {
      maxmemoryBefore = await direct.configGet('maxmemory')
    } finally {
      await direct.close()
    }
  })
  const admin = [
    ['CONFIG', 'SET', 'maxmemory', '1'],
    ['CONFIG', 'SET', 'requirepass', 'locked-out'],
    ['REPLICAOF', '127.0.0.1', '1'],
    ['SLAVEOF', 'NO', 'ONE'],
    ['MIGRATE', '127.0.0.1', '1', 'k', '0', '10'],
    ['SAVE'],
    ['BGSAVE'],
    ['BGREWRITEAOF'],
    ['SWAPDB', '0', '1'],
    ['ACL', 'SETUSER', 'x', 'on'],
    ['FAILOVER'],
    ['CLUSTER', 'INFO'],
    ['SHUTDOWN'],
    ['DEBUG', 'SLEEP', '1'],
    ['MODULE', 'LIST'],
  ]

  it.each(admin.map((c) => [c.join(' '), c]))(
    'refuses %s with a clear 400, alone, in a pipeline and in a transaction',
    async (_name, args) => {
      const alone = await command(target, args)
      expect(alone.status).toBe(400)
      expect((alone.json as { error: string }).error).toMatch(/not (allowed|available)/)
      const pipeline = await raw(target, '/pipeline', { body: JSON.stringify([['PING'], args]) })
      expect(pipeline.json).toEqual([{ result: 'PONG' }, { error: expect.stringMatching(/not (allowed|available)/) }])
      const tx = await raw(target, '/multi-exec', { body: JSON.stringify([['PING'], args]) })
      expect(tx.status).toBe(400)
    },
  )

  it('nothing changed: Redis still answers, with its settings as they were', async () => {
    const direct = await directClient(stack.env.REDIS_URL)
    try {
      expect(await direct.configGet('maxmemory')).toEqual(maxmemoryBefore)
      expect(maxmemoryBefore.maxmemory).not.toBe('1')
    } finally {
      await direct.close()
    }
    expect((await command(target, ['PING'])).json).toEqual({ result: 'PONG' })
  })

  it('a script cannot run them either: the endpoint connects as a Redis user without @admin', async () => {
    const res = await command(target, ['EVAL', "return redis.call('LASTSAVE')", '0'])
    expect(res.status).toBe(400)
    expect((res.json as { error: string }).error).toMatch(/user executing the script can.t run this command/)
    // Ordinary commands work in scripts as before.
    expect((await command(target, ['EVAL', "return redis.call('SET', KEYS[1], 'v')", '1', 'script-key'])).json).toEqual(
      { result: 'OK' },
    )
  })
})
