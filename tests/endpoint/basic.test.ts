import { Redis } from '@upstash/redis'
import { describe, expect, inject, it } from 'vitest'

const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = inject('stack')
const redis = new Redis({ url, token, enableTelemetry: false })

describe('endpoint through @upstash/redis', () => {
  it('answers PING and round-trips a string', async () => {
    expect(await redis.ping()).toBe('PONG')
    await redis.set('basic:greeting', 'bonjour ✓')
    expect(await redis.get('basic:greeting')).toBe('bonjour ✓')
  })
})
