/**
 * The usage meter behind /status counts what Upstash bills: over a mix of helper calls (plain
 * commands, pipelines, the queue's scripts on their first run and after), the count it saves equals
 * the commands redis-server executed (INFO commandstats, which counts a script's EVAL/EVALSHA and every
 * command it runs inside), its own HINCRBY included. A private stack, so nobody else's traffic counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createContext,
  createCache,
  createHashMap,
  createQueue,
  createSession,
  createRedisClient,
  createSortedSet,
  parseConfig,
} from '@/lib/upstash'
import { installUsageCounter, usageKey, utcDay, type UsageCounter } from '@/lib/usage/upstash-usage'
import { billedCommands, directClient } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

let stack: Stack
let counter: UsageCounter
let env: Record<string, string>

beforeAll(async () => {
  stack = await startStack()
  env = { ...stack.env, REDIS_KEY_PREFIX: uniquePrefix('usagebill'), UPSTASH_DISABLE_TELEMETRY: 'true' }
  const config = parseConfig(env)
  // What startUsageCounter installs, on this stack; flushed by hand below (no timer).
  const client = createRedisClient(config)
  counter = installUsageCounter({
    baseUrl: config.url!,
    timer: false,
    send: (day, n) => client.hincrby(usageKey(config.keyPrefix), day, n),
  })
})
afterAll(async () => {
  counter?.stop()
  await stack?.stop()
})

describe('usage meter = Upstash bill (INFO commandstats)', () => {
  it('counts scripts as 1 + the commands they run, pipelines by command, and its own flush', async () => {
    const ctx = createContext(env)
    const cache = createCache(ctx)
    const session = createSession(ctx)
    const queue = createQueue(ctx)
    const hashMap = createHashMap(ctx)
    const sortedSet = createSortedSet(ctx)
    const day = utcDay()
    expect(counter.pending(day)).toBe(0)

    const billed = await billedCommands(stack.env.REDIS_URL, async () => {
      // Plain commands and pipelines.
      await cache.set('user:1', { name: 'Jeanne' }, 60)
      await cache.get('user:1')
      await cache.get('missing')
      await cache.getOrSet('loaded', async () => ({ n: 1 }), { ttl: 60 })
      const id = await session.create({ userId: 'u1', tenantId: 't1', role: 'ADMIN' })
      await session.get(id, { slide: true })
      for (let i = 0; i < 3; i++) await session.rateLimit('api:user:u1', 100, 900)
      await hashMap.set('tenant:t1', { name: 'Cabinet Dupont', plan: 'PREMIUM' })
      await hashMap.getAll('tenant:t1')
      await sortedSet.add('activity', 'd1', 1)
      await sortedSet.increment('activity', 'd1', 2)
      await sortedSet.top('activity', 5)
      await ctx
        .redis!.pipeline()
        .set(`${env.REDIS_KEY_PREFIX}:p`, '1')
        .incr(`${env.REDIS_KEY_PREFIX}:p`)
        .get(`${env.REDIS_KEY_PREFIX}:p`)
        .exec()

      // The queue's scripts: the first run of each on this server is EVALSHA → NOSCRIPT → EVAL.
      await queue.push('jobs', { n: 1 }, { jobId: 'a' })
      await queue.push('jobs', { n: 2 }, { jobId: 'b', maxAttempts: 1 })
      await queue.stats('jobs')
      const a = (await queue.reserve('jobs'))!
      await queue.extend('jobs', a, 60_000)
      await queue.fail('jobs', a, new Error('boom')) // retry later: HSET + ZADD inside
      const b = (await queue.reserve('jobs'))!
      expect(b.id).toBe('b')
      expect(await queue.fail('jobs', b, new Error('fatal'))).toMatchObject({ status: 'dead' }) // to the dead letters: a loop inside
      expect(await queue.retryDead('jobs', 'b')).toBe(true)
      const again = (await queue.reserve('jobs'))!
      await queue.ack('jobs', again)
      await queue.reserve('jobs') // empty (a is delayed): one ZRANGEBYSCORE
      expect(await queue.stats('jobs')).toMatchObject({ delayed: 1, dead: 0 })
      await queue.deadLetters('jobs')

      // The meter saves everything counted, plus 1 for the HINCRBY that saves it.
      await counter.flush()
    })

    const saved = await directClient(stack.env.REDIS_URL)
    try {
      const total = Number(await saved.hGet(usageKey(env.REDIS_KEY_PREFIX!), day))
      expect(total).toBe(billed.total)
    } finally {
      await saved.close()
    }
    expect(counter.pending(day)).toBe(0)
    // The mix did run scripts, loaded on the way, and commands inside them (which a per-request count would miss).
    expect(billed.byCommand.evalsha).toBeGreaterThan(0)
    expect(billed.byCommand.eval).toBeGreaterThan(0)
    expect(billed.byCommand.zincrby).toBeGreaterThan(0)
    expect(billed.byCommand.lpush).toBeGreaterThan(0)
    expect(billed.byCommand.hincrby).toBe(1)
  })

  it('a flush with nothing pending sends nothing', async () => {
    const billed = await billedCommands(stack.env.REDIS_URL, () => counter.flush())
    expect(billed.total).toBe(0)
  })
})
