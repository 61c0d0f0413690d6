import { randomBytes } from 'node:crypto'
import { errors } from '@upstash/redis'
import { afterEach, describe, expect, inject, it } from 'vitest'
import {
  createCache,
  createContext,
  RedisInputError,
  RedisOutcomeUnknownError,
  RedisUnavailableError,
  createQueue,
} from '@/redis'
import { isConnectionError, isOutcomeUnknown } from '@/redis/core/errors'
import { MAX_JSON_DEPTH } from '@/redis/core/serialize'
import { startEndpoint, startRedisServer, type OwnRedisServer, type RunningEndpoint } from '@/upstash-local'
import { uniquePrefix } from '../../testing/stack'

const { UpstashError } = errors
const shared = inject('stack')

describe('outcome unknown (the endpoint’s 504)', () => {
  it('is told apart from "not sent" (503), and still counts as an outage', () => {
    const e504 = new UpstashError(
      'ERR Redis outcome unknown: Redis did not answer within 2000 ms; the command was sent and may still run, command was: [["incr","k"]]',
    )
    const e503 = new UpstashError(
      'ERR Redis is unavailable: Redis has not answered for 1200 ms; not sent, safe to retry, command was: [["incr","k"]]',
    )
    expect(isOutcomeUnknown(e504)).toBe(true)
    expect(isConnectionError(e504)).toBe(true)
    expect(isOutcomeUnknown(e503)).toBe(false)
    expect(isConnectionError(e503)).toBe(true)
    expect(
      isConnectionError(new UpstashError('ERR too many blocking commands and subscriptions in progress (100, …)')),
    ).toBe(true)
    expect(
      isConnectionError(new UpstashError('ERR the endpoint is busy: 40 MB of requests and replies in flight')),
    ).toBe(true)
    const err = new RedisOutcomeUnknownError('queue.push', { cause: e504 })
    expect(err).toBeInstanceOf(RedisUnavailableError)
    expect(err.name).toBe('RedisOutcomeUnknownError')
    expect(err.message).toMatch(/^Redis did not confirm queue\.push: the command was sent and may have run/)
    expect(err.message).not.toContain('"k"')
  })
})

describe('queue.push retried after a 504 queues the job once (through a real endpoint)', () => {
  let redis: OwnRedisServer | undefined
  let endpoint: RunningEndpoint | undefined
  afterEach(async () => {
    redis?.process.kill('SIGCONT')
    await endpoint?.close()
    await redis?.stop()
  })

  it('push → Redis frozen → RedisOutcomeUnknownError → push again with the same jobId → one job', async () => {
    redis = await startRedisServer()
    const token = randomBytes(16).toString('hex')
    endpoint = await startEndpoint({ redisUrl: redis.endpointUrl, token, port: 0, timeoutMs: 300 })
    const ctx = createContext({
      UPSTASH_REDIS_REST_URL: endpoint.url,
      UPSTASH_REDIS_REST_TOKEN: token,
      REDIS_ENABLED: 'true',
      REDIS_KEY_PREFIX: uniquePrefix('outcome'),
      UPSTASH_DISABLE_TELEMETRY: 'true',
      // Longer than the endpoint's timeout, so the client sees the endpoint's 504 and not its own abort.
      REDIS_TIMEOUT_MS: '5000',
      REDIS_RETRIES: '0',
    })
    const queue = createQueue(ctx)
    await queue.push('mail', { warm: true }, { jobId: 'warm' })

    redis.process.kill('SIGSTOP')
    const first = await queue.push('mail', { to: 'a@example.com' }, { jobId: 'invoice-42' }).catch((e: unknown) => e)
    expect(first).toBeInstanceOf(RedisOutcomeUnknownError)
    expect(first).toBeInstanceOf(RedisUnavailableError)
    expect((first as Error).message).toMatch(/may have run/)
    redis.process.kill('SIGCONT')

    // The caller retries (a 503 meanwhile means "not sent": retry again).
    let retried = false
    const deadline = Date.now() + 10_000
    while (!retried) {
      try {
        await queue.push('mail', { to: 'a@example.com' }, { jobId: 'invoice-42' })
        retried = true
      } catch (err) {
        if (!(err instanceof RedisUnavailableError) || Date.now() > deadline) throw err
      }
    }
    const stats = await queue.stats('mail')
    expect(stats.waiting).toBe(2) // warm + invoice-42, once
  })
})

describe('values nested too deep', () => {
  it('cache.set of a value nested 20 000 deep throws RedisInputError naming the limit, not a RangeError', async () => {
    const ctx = createContext({
      ...shared,
      REDIS_ENABLED: 'true',
      REDIS_KEY_PREFIX: uniquePrefix('deep'),
      UPSTASH_DISABLE_TELEMETRY: 'true',
      REDIS_TIMEOUT_MS: '10000',
    })
    const cache = createCache(ctx)
    let deep: unknown = 'leaf'
    for (let i = 0; i < 20_000; i++) deep = { child: deep }
    const err = await cache.set('k', deep).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RedisInputError)
    expect((err as Error).message).toMatch(new RegExp(`nested more than ${MAX_JSON_DEPTH} levels deep`))
    let arrays: unknown = []
    for (let i = 0; i < 20_000; i++) arrays = [arrays]
    await expect(cache.set('k', arrays)).rejects.toBeInstanceOf(RedisInputError)
    // Reasonable nesting still works.
    let ok: unknown = 1
    for (let i = 0; i < 50; i++) ok = { n: ok }
    expect(await cache.set('k', ok)).toBe(true)
  })
})
