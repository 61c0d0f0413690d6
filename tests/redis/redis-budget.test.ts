/**
 * A RedisBudget bounds the total time the Redis calls of one unit of work (a request) wait, however
 * many there are: against a real redis-server made to hang (CLIENT PAUSE) behind the local endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  activeRedisBudget,
  createCache,
  createContext,
  createQueue,
  createRateLimit,
  createSession,
  RedisBudget,
  RedisUnavailableError,
  runWithRedisBudget,
  type RedisContext,
} from '@/redis'
import { startEndpoint, type RunningEndpoint } from '@/upstash-local'
import { startLatencyProxy, type LatencyProxy } from '../support/latency-proxy'
import { billedCommands, directClient } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

/** A private stack: INFO commandstats counts only this file's commands, and pausing it disturbs no other file. */
let stack: Stack
let ctx: RedisContext
/** A second endpoint on the same redis-server, reaching it through a latency proxy: a slow Redis that still answers. */
let latency: LatencyProxy
let slowEndpoint: RunningEndpoint

beforeAll(async () => {
  stack = await startStack()
  // A per-call timeout far above the budgets below: whatever stops a call early here is the budget.
  ctx = createContext({
    ...stack.env,
    REDIS_KEY_PREFIX: uniquePrefix('budget'),
    REDIS_TIMEOUT_MS: '5000',
    RATE_LIMIT_FAILURE_POLICY: 'open',
    UPSTASH_DISABLE_TELEMETRY: 'true',
  })
  latency = await startLatencyProxy(stack.redis.port)
  const viaProxy = new URL(stack.redis.endpointUrl)
  viaProxy.port = String(latency.port)
  slowEndpoint = await startEndpoint({
    redisUrl: viaProxy.toString(),
    port: 0,
    token: stack.env.UPSTASH_REDIS_REST_TOKEN,
  })
})

/** A context on the endpoint that reaches Redis through the latency proxy. */
const slowContext = (timeoutMs: number, prefix = uniquePrefix('budgetslow')) =>
  createContext({
    UPSTASH_REDIS_REST_URL: slowEndpoint.url,
    UPSTASH_REDIS_REST_TOKEN: stack.env.UPSTASH_REDIS_REST_TOKEN,
    REDIS_KEY_PREFIX: prefix,
    REDIS_TIMEOUT_MS: String(timeoutMs),
    UPSTASH_DISABLE_TELEMETRY: 'true',
  })
afterAll(async () => {
  await slowEndpoint?.close()
  await latency?.close()
  await stack.stop()
})

/** Runs `fn` while redis-server holds every client's commands (a real hang), then releases them. */
async function whileRedisHangs<T>(fn: () => Promise<T>): Promise<T> {
  const admin = await directClient(stack.env.REDIS_URL)
  await admin.sendCommand(['CLIENT', 'PAUSE', '4000', 'ALL'])
  try {
    return await fn()
  } finally {
    await admin.sendCommand(['CLIENT', 'UNPAUSE'])
    await admin.close()
  }
}

describe('RedisBudget', () => {
  it('fails a call at once, without sending it, once the budget is spent', async () => {
    const session = createSession(ctx)
    const counted = await billedCommands(stack.env.REDIS_URL, () =>
      runWithRedisBudget(new RedisBudget(0), async () => {
        const err = await session.get('someone').catch((e: unknown) => e)
        expect(err).toBeInstanceOf(RedisUnavailableError)
        expect((err as Error).message).toMatch(
          /^Redis is unavailable \(session\.get\): not sent: the Redis budget is spent \(0 ms for this request or operation; REDIS_TIMEOUT_MS bounds it\)/,
        )
      }),
    )
    expect(counted.total).toBe(0)
  })

  it('stops the calls of a request at its budget when Redis hangs, each helper answering by its failure policy', async () => {
    const session = createSession(ctx)
    const cache = createCache(ctx, { waitUntil: () => {} })
    const budget = new RedisBudget(300)
    const [lookup, cached, limited, waitedMs] = await whileRedisHangs(() =>
      runWithRedisBudget(budget, async () => {
        const started = performance.now()
        const lookup = await session.get('someone').catch((e: unknown) => e) // waits out the budget
        const cached = await cache.getOrSet('dossiers', () => 'from the database', { ttl: 60 }) // budget spent: the database
        const limited = await session.rateLimit('api:someone', 10, 60) // budget spent: the failure policy
        return [lookup, cached, limited, performance.now() - started] as const
      }),
    )
    // Three calls with a 5 s timeout each would have waited until the pause ended (4 s); the budget ended them all.
    expect(waitedMs).toBeLessThan(3000)
    expect(lookup).toBeInstanceOf(RedisUnavailableError)
    expect(cached).toBe('from the database')
    expect(limited).toMatchObject({ allowed: true, reason: 'unavailable' })
    expect(budget.remainingMs).toBeLessThan(20) // spent, as the layer counts it (under 20 ms left, nothing is sent)
    expect(budget.spentMs).toBeGreaterThanOrEqual(300 - 5) // timers may fire a hair early
  })

  it('counts calls waiting in parallel once, and leaves a healthy Redis alone', async () => {
    const session = createSession(ctx)
    await session.set('parallel', { userId: 'u', tenantId: 't', role: 'ADMIN' })
    const budget = new RedisBudget(2000)
    const answers = await runWithRedisBudget(budget, () =>
      Promise.all(Array.from({ length: 20 }, () => session.get('parallel'))),
    )
    expect(answers.every((a) => a?.userId === 'u')).toBe(true)
    expect(budget.spentMs).toBeGreaterThan(0)
    expect(budget.remainingMs).toBeGreaterThan(0)
  })

  it('is per unit of work: concurrent budgets do not see each other, and nothing is active outside one', async () => {
    const a = new RedisBudget(100)
    const b = new RedisBudget(200)
    const seen = await Promise.all([
      runWithRedisBudget(a, async () => (await Promise.resolve(), activeRedisBudget())),
      runWithRedisBudget(b, async () => (await Promise.resolve(), activeRedisBudget())),
    ])
    expect(seen).toEqual([a, b])
    expect(activeRedisBudget()).toBeUndefined()
  })

  it('bounds a helper called on its own by REDIS_TIMEOUT_MS in total, not per round trip, and gives back a lock it took too late', async () => {
    const prefix = uniquePrefix('budgetop')
    // Each round trip takes ~600 ms, under the 1 s timeout; a miss needs three (read, lock, write).
    const slow = createCache(slowContext(1000, prefix), { waitUntil: () => {} })
    latency.setDelay(300)
    const first = await slow.fetch('dossiers', () => 'from the database', { ttl: 60 })
    latency.setDelay(0)
    // The read answered (a miss); the lock's answer would have taken the total past 1 s, so the loader was
    // called without caching. The lock it took after all is given back: the next reader neither finds a value
    // nor waits out the lock (lockWaitMs) before loading.
    expect(first).toEqual({ value: 'from the database', status: 'bypass' })
    const patient = createCache(slowContext(5000, prefix), { waitUntil: () => {} })
    expect(await patient.fetch('dossiers', () => 'loaded again', { ttl: 60 })).toEqual({
      value: 'loaded again',
      status: 'miss',
    })
    expect(patient.stats().lockTimeouts).toBe(0)
  })

  it("lets a caller that joins another caller's load wait for its Redis part within its own budget, then load for itself", async () => {
    const cache = createCache(ctx, { waitUntil: () => {} })
    let first: Promise<unknown> | undefined
    const [joined, left] = await whileRedisHangs(async () => {
      // The first caller's read hangs in Redis (its budget and timeout are 5 s); the joiner has 100 ms.
      first = runWithRedisBudget(new RedisBudget(5000), () =>
        cache.fetch('stalled', () => 'loaded by the first', { ttl: 60 }),
      )
      const mine = new RedisBudget(100)
      const answer = await runWithRedisBudget(mine, () =>
        cache.fetch('stalled', () => 'loaded by the joiner', { ttl: 60 }),
      )
      return [answer, mine.remainingMs] as const
    })
    expect(joined).toEqual({ value: 'loaded by the joiner', status: 'bypass' })
    expect(left).toBeLessThan(20) // the wait counted in the joiner's budget: spent (timers may fire a hair early)
    expect(await first).toMatchObject({ value: 'loaded by the first' })
  })

  it("lets a caller that joins another caller's load wait for the database without counting it", async () => {
    const cache = createCache(ctx, { waitUntil: () => {} })
    let loads = 0
    // The database takes 300 ms; Redis answers at once.
    const slowDatabase = () => new Promise<string>((resolve) => setTimeout(() => resolve(`loaded ${++loads}`), 300))
    const first = runWithRedisBudget(new RedisBudget(5000), () => cache.fetch('slow-db', slowDatabase, { ttl: 60 }))
    const mine = new RedisBudget(100)
    const joined = await runWithRedisBudget(mine, () => cache.fetch('slow-db', slowDatabase, { ttl: 60 }))
    expect(joined).toEqual({ value: 'loaded 1', status: 'miss' }) // the first caller's load, shared
    expect(await first).toEqual(joined)
    expect(loads).toBe(1)
    expect(mine.remainingMs).toBeGreaterThan(0) // the database's 300 ms did not count as Redis time
  })

  it("never fails a rate-limit call because another call's budget ran out on the bucket set-up they share", async () => {
    const limiter = createRateLimit(
      createContext({
        ...stack.env,
        REDIS_KEY_PREFIX: uniquePrefix('budgetrl'),
        REDIS_TIMEOUT_MS: '5000',
        RATE_LIMIT_FAILURE_POLICY: 'open',
        UPSTASH_DISABLE_TELEMETRY: 'true',
      }),
    )
    const admin = await directClient(stack.env.REDIS_URL)
    try {
      await admin.sendCommand(['CLIENT', 'PAUSE', '600', 'ALL']) // ends by itself
      // A starts the bucket's set-up with 100 ms to spend; B, with plenty, joins it.
      const a = runWithRedisBudget(new RedisBudget(100), () => limiter('shared', 10, 60))
      const b = runWithRedisBudget(new RedisBudget(3000), () => limiter('shared', 10, 60))
      expect(await a).toMatchObject({ allowed: true, reason: 'unavailable' })
      const answer = await b
      expect(answer).toMatchObject({ allowed: true })
      expect(answer.reason).toBeUndefined() // Redis's answer, once the pause ended
    } finally {
      await admin.close()
    }
  })

  it('never loses a popped job to the budget: a claim once sent is waited for', async () => {
    const queue = createQueue(slowContext(1000))
    await queue.push('jobs', { n: 1 })
    latency.setDelay(300) // the read and the claim take ~1.2 s together, past the 1 s budget
    const job = await queue.pop('jobs')
    latency.setDelay(0)
    expect(job).toEqual({ n: 1 })
    expect(await queue.stats('jobs')).toEqual({ waiting: 0, inFlight: 0, delayed: 0, dead: 0 })
  })
})
