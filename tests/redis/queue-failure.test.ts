/**
 * Queue cost and failure behaviour, on a private stack: billed commands are counted without
 * other files' traffic, and the endpoint / redis-server are stopped for real.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createContext,
  type RedisContext,
  RedisDisabledError,
  RedisUnavailableError,
  createQueue,
  type Queue,
} from '@/redis'
import { isRedisAvailable } from '@/redis/core/health'
import { startEndpoint } from '@/upstash-local'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'
import { billedCommands } from '../../testing/redis-direct'

let stack: Stack
let queue: Queue
let env: Record<string, string>
let ctx: RedisContext

beforeAll(async () => {
  stack = await startStack()
  env = {
    ...stack.env,
    REDIS_KEY_PREFIX: uniquePrefix('qfail'),
    UPSTASH_DISABLE_TELEMETRY: 'true',
    REDIS_TIMEOUT_MS: '500',
    REDIS_RETRIES: '1',
  }
  ctx = createContext(env)
  queue = createQueue(ctx)
})
afterAll(async () => {
  await stack?.stop()
})

describe('queue: billed Upstash commands (a script = 1 + each command inside)', () => {
  const billed = (fn: () => Promise<unknown>) => billedCommands(stack.env.REDIS_URL, fn).then((r) => r.total)

  it('push → reserve → ack costs 8 per job; an empty reserve 1', async () => {
    const name = 'cost'
    // Load the scripts once (a script's first call on a server is EVALSHA → NOSCRIPT → EVAL).
    await queue.push(name, 'warm')
    await queue.ack(name, (await queue.reserve(name))!)
    await queue.stats(name)

    expect(await billed(() => queue.reserve(name))).toBe(1) // empty: one ZRANGEBYSCORE
    expect(await billed(() => queue.pop(name))).toBe(1)
    expect(await billed(() => queue.push(name, { to: 'client@example.com' }))).toBe(2)
    let job: Awaited<ReturnType<Queue['reserve']>> = null
    expect(await billed(async () => (job = await queue.reserve(name)))).toBe(4)
    expect(await billed(() => queue.ack(name, job!))).toBe(2)
    expect(await billed(() => queue.push(name, 'later', { delayMs: 60_000 }))).toBe(2)
    expect(await billed(() => queue.stats(name))).toBe(3)
  })

  it('cancel costs at most 4 billed commands (a script: ZSCORE, ZREM, HDEL), at most 2 when there is nothing to cancel', async () => {
    const name = 'cost-cancel'
    await queue.cancel(name, 'warm') // loads the script (EVALSHA → NOSCRIPT → EVAL on a server's first call)
    const id = await queue.push(name, 'reminder', { delayMs: 60_000 })
    expect(await billed(() => queue.cancel(name, id))).toBeLessThanOrEqual(4)
    expect(await billed(() => queue.cancel(name, id))).toBeLessThanOrEqual(2)
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })

  it('100 jobs drained by 4 competing workers cost at most 9 each (8, plus what collisions waste)', async () => {
    const name = 'cost-many'
    await queue.push(name, 'warm')
    await queue.ack(name, (await queue.reserve(name))!)
    const total = await billed(async () => {
      for (let i = 0; i < 100; i++) await queue.push(name, i)
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          for (;;) {
            const job = await queue.reserve(name)
            if (!job) return
            await queue.ack(name, job)
          }
        }),
      )
    })
    // Each worker's last, empty reserve costs 1; contention (two workers on one job) costs the loser a retry.
    expect(total / 100).toBeLessThanOrEqual(9)
  })
})

describe('queue: REDIS_ENABLED=false', () => {
  it('push, pop, reserve and stats throw RedisDisabledError (a job is never silently dropped)', async () => {
    const disabled = createQueue(createContext({ REDIS_ENABLED: 'false', REDIS_KEY_PREFIX: 'off' }))
    await expect(disabled.push('email-queue', { to: 'a@b.c' })).rejects.toBeInstanceOf(RedisDisabledError)
    await expect(disabled.push('email-queue', { to: 'a@b.c' })).rejects.toThrow(
      /queue\.push needs Redis, but REDIS_ENABLED=false/,
    )
    await expect(disabled.pop('email-queue')).rejects.toBeInstanceOf(RedisDisabledError)
    await expect(disabled.reserve('email-queue')).rejects.toBeInstanceOf(RedisDisabledError)
    await expect(disabled.stats('email-queue')).rejects.toBeInstanceOf(RedisDisabledError)
  })
})

describe('queue: Redis unreachable (stopped for real)', () => {
  it('with redis-server stopped behind the endpoint, then with the endpoint itself stopped, push rejects with RedisUnavailableError in bounded time', async () => {
    const own = await startStack()
    try {
      const ownEnv = {
        ...own.env,
        REDIS_KEY_PREFIX: uniquePrefix('qdown'),
        UPSTASH_DISABLE_TELEMETRY: 'true',
        REDIS_TIMEOUT_MS: '500',
        REDIS_RETRIES: '1',
      }
      const q = createQueue(createContext(ownEnv))
      const before = await q.push('email-queue', { n: 1 })
      expect(before).toMatch(/^[0-9a-f-]{36}$/)

      // 1) the endpoint is up but Redis is gone: a 503 from the endpoint
      await own.redis.stop()
      let started = performance.now()
      await expect(q.push('email-queue', { n: 2 })).rejects.toBeInstanceOf(RedisUnavailableError)
      expect(performance.now() - started).toBeLessThan(2_000)

      // 2) nothing answers at all: connection refused
      await own.endpoint.close()
      started = performance.now()
      const err = await q.push('email-queue', { n: 3 }).catch((e: unknown) => e)
      expect(performance.now() - started).toBeLessThan(2_000)
      expect(err).toBeInstanceOf(RedisUnavailableError)
      expect((err as RedisUnavailableError).code).toBe('REDIS_UNAVAILABLE')
      expect((err as Error).message).toMatch(/Redis is unavailable \(queue\.push\)/)
      expect((err as Error).message).not.toContain(own.env.UPSTASH_REDIS_REST_TOKEN)
      await expect(q.reserve('email-queue')).rejects.toBeInstanceOf(RedisUnavailableError)
      await expect(q.stats('email-queue')).rejects.toBeInstanceOf(RedisUnavailableError)
    } finally {
      await own.stop().catch(() => {})
    }
  })

  it('a job pushed before the outage is still there once the endpoint is back', async () => {
    const name = 'outage'
    const id = await queue.push(name, { keep: true })
    const port = Number(new URL(stack.env.UPSTASH_REDIS_REST_URL).port)
    await stack.endpoint.close()
    await expect(queue.push(name, { lost: 'never silently' })).rejects.toBeInstanceOf(RedisUnavailableError)

    // same address and token, new endpoint process-side: the client does not notice anything
    stack.endpoint = await startEndpoint({
      redisUrl: stack.redis.endpointUrl,
      port,
      token: stack.env.UPSTASH_REDIS_REST_TOKEN,
    })
    // the new endpoint connects to Redis in the background: wait (bounded) until it answers
    await vi.waitFor(async () => expect(await isRedisAvailable(ctx)).toBe(true), { timeout: 5_000, interval: 20 })
    const job = await queue.reserve<{ keep: boolean }>(name)
    expect(job).toMatchObject({ id, data: { keep: true } })
    expect(await queue.ack(name, job!)).toBe(true)
    expect(await queue.stats(name)).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })
})
