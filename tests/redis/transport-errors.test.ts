/**
 * Outages told by the transport, not by wording: a plain HTTP server stands where Upstash would be
 * (a proxy or gateway in front of it) and answers with a status and a body of its own. The layer must
 * classify by the status: 502/503 → unavailable (not run), 504 → outcome unknown; an error answered
 * by Redis itself stays an error of the caller's.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createCache,
  createContext,
  createQueue,
  createSession,
  RedisOutcomeUnknownError,
  RedisUnavailableError,
} from '@/redis'

let server: Server
let reply: { status: number; body: string; type: string } = {
  status: 503,
  body: '{"error":"service unavailable"}',
  type: 'application/json',
}
let requests = 0

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++
    req.resume()
    res.writeHead(reply.status, { 'content-type': reply.type })
    res.end(reply.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

function layer() {
  const ctx = createContext({
    UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    UPSTASH_REDIS_REST_TOKEN: 'token',
    REDIS_RETRIES: '0',
    UPSTASH_DISABLE_TELEMETRY: 'true',
  })
  return { queue: createQueue(ctx), session: createSession(ctx), cache: createCache(ctx) }
}

describe('errors classified by the HTTP status', () => {
  for (const [status, body, type] of [
    [503, '{"error":"service unavailable"}', 'application/json'],
    [502, '{"error":"bad gateway: upstream closed"}', 'application/json'],
    [503, '<html><body>Service Unavailable</body></html>', 'text/html'],
  ] as const) {
    it(`${status} with ${type === 'text/html' ? 'an HTML page' : `a JSON body of its own (${body})`}: an outage, the command not run`, async () => {
      reply = { status, body, type }
      const { queue, session, cache } = layer()
      const push = await queue.push('q', { a: 1 }).catch((e: unknown) => e)
      expect(push).toBeInstanceOf(RedisUnavailableError)
      expect(push).not.toBeInstanceOf(RedisOutcomeUnknownError)
      await expect(session.get('some-session')).rejects.toBeInstanceOf(RedisUnavailableError)
      // The cache's failure policy: a miss, never an exception into a page.
      expect(await cache.get('k')).toBeNull()
      // The session limiter's failure policy applies (open by default), flagged.
      expect(await session.rateLimit('caller', 10, 60)).toMatchObject({ allowed: true, reason: 'unavailable' })
    })
  }

  it('504 with a body of its own: sent, outcome unknown', async () => {
    reply = { status: 504, body: '{"error":"upstream timed out"}', type: 'application/json' }
    const { queue } = layer()
    const push = await queue.push('q', { a: 1 }, { jobId: 'job-1' }).catch((e: unknown) => e)
    expect(push).toBeInstanceOf(RedisOutcomeUnknownError)
    expect(String((push as Error).message)).toMatch(/HTTP 504/)
  })

  it("an error Redis itself answered (400) stays the caller's error, not an outage", async () => {
    reply = {
      status: 400,
      body: '{"error":"WRONGTYPE Operation against a key holding the wrong kind of value"}',
      type: 'application/json',
    }
    const before = requests
    const { session } = layer()
    const err = await session.get('some-session').catch((e: unknown) => e)
    expect(requests).toBeGreaterThan(before)
    expect(err).not.toBeInstanceOf(RedisUnavailableError)
    expect(String((err as Error).message)).toMatch(/WRONGTYPE/)
  })
})
