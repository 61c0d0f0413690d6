import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContext, type RedisContext } from '@/redis'
import { health, isRedisAvailable } from '@/redis/core/health'
import { startStack, type Stack } from '../../testing/stack'

/** isRedisAvailable / health against a private endpoint that the test really stops. */
let stack: Stack
let ctx: RedisContext

beforeAll(async () => {
  stack = await startStack()
  ctx = createContext({ ...stack.env, UPSTASH_DISABLE_TELEMETRY: 'true' })
})
afterAll(async () => {
  await stack.redis.stop()
})

describe('isRedisAvailable / health', () => {
  it('is true with a latency while Redis answers', async () => {
    expect(await isRedisAvailable(ctx)).toBe(true)
    const h = await health(ctx)
    expect(h.status).toBe('up')
    expect(h.status === 'up' && h.latencyMs).toBeGreaterThan(0)
  })

  it('is false (never throws) for a disabled or misconfigured layer', async () => {
    expect(await isRedisAvailable(createContext({ REDIS_ENABLED: 'false' }))).toBe(false)
    expect(await health(createContext({ REDIS_ENABLED: 'false' }))).toEqual({ status: 'disabled' })
    const broken = () => createContext({ UPSTASH_REDIS_REST_URL: 'nope' })
    expect(await isRedisAvailable(broken)).toBe(false)
    expect(await health(broken)).toMatchObject({
      status: 'down',
      error: expect.stringMatching(/UPSTASH_REDIS_REST_URL/),
    })
  })

  it('is false within 2 s once the endpoint is stopped', async () => {
    await stack.endpoint.close()
    const started = performance.now()
    expect(await isRedisAvailable(ctx)).toBe(false)
    expect(performance.now() - started).toBeLessThan(2000)
    const h = await health(ctx)
    expect(h.status).toBe('down')
    expect(JSON.stringify(h)).not.toContain(stack.env.UPSTASH_REDIS_REST_TOKEN)
  })
})
