import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContext, createQueue, createSession, RedisUnavailableError } from '@/redis'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

/**
 * @upstash/redis appends the whole command (keys and values) to every error it raises for an
 * error answer. When Redis is down behind the endpoint, that answer is a 503, and the error reaches
 * routes (whose 503 body repeats the message) and logs: session ids (bearer credentials), session
 * data and job payloads must not travel with it.
 */
let stack: Stack
beforeAll(async () => {
  stack = await startStack()
})
afterAll(async () => {
  await stack.endpoint.close()
})

describe('errors of an unavailable Redis', () => {
  it('name the command but never repeat its keys or values', async () => {
    const ctx = createContext({
      ...stack.env,
      REDIS_KEY_PREFIX: uniquePrefix('redact'),
      UPSTASH_DISABLE_TELEMETRY: 'true',
    })
    const session = createSession(ctx)
    const queue = createQueue(ctx)
    await stack.redis.stop() // the endpoint stays up and answers 503 "Redis is unavailable"
    const secretId = 'sid-Zr8uXq3secret'
    const calls = [
      () => session.set(secretId, { userId: 'u-4411', tenantId: 't-9', role: 'ADMIN', apiKey: 'key-topsecret' }),
      () => session.get(secretId),
      () => queue.push('mail', { to: 'client@cabinet.fr', body: 'payload-topsecret' }),
    ]
    for (const call of calls) {
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(RedisUnavailableError)
      const message = (err as Error).message
      expect(message).toMatch(/Redis is unavailable/)
      for (const secret of [secretId, 'key-topsecret', 'u-4411', 'payload-topsecret', 'client@cabinet.fr'])
        expect(message).not.toContain(secret)
    }
  })
})
