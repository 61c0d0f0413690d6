import { afterAll, describe, expect, it } from 'vitest'

/**
 * The raw `redis` export follows REDIS_ENABLED like every helper: with REDIS_ENABLED=false it must
 * not talk to Redis behind the app's back (even when a URL is still set), and says why it refuses.
 */
const saved = { ...process.env }
Object.assign(process.env, { REDIS_ENABLED: 'false', REDIS_KEY_PREFIX: 'rawdisabled' })
const { redis, RedisDisabledError } = await import('@/redis')
afterAll(() => {
  process.env = saved
})

describe('redis (the raw client) with REDIS_ENABLED=false', () => {
  it('refuses every call with RedisDisabledError, even with UPSTASH_REDIS_REST_URL set', async () => {
    expect(process.env.UPSTASH_REDIS_REST_URL).toBeTruthy() // the run's endpoint is still configured
    expect(() => redis.ping()).toThrow(RedisDisabledError)
    expect(() => redis.get('k')).toThrow(/REDIS_ENABLED=false/)
  })
})
