import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContext, createSession, RedisUnavailableError, type Session } from '@/lib/upstash'
import { billedCommands, directClient } from '../support/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../support/stack'

/** A private stack, so INFO commandstats counts only this file's commands and its endpoint can be stopped. */
let stack: Stack
let session: Session
const data = { userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' }

beforeAll(async () => {
  stack = await startStack()
  session = createSession(createContext({ ...stack.env, REDIS_KEY_PREFIX: uniquePrefix('sesscost'), UPSTASH_DISABLE_TELEMETRY: 'true' }))
})
afterAll(async () => {
  await stack.stop()
})

describe('session: Redis commands per call (INFO commandstats)', () => {
  it.each([
    ['set', () => session.set('user-abc', data), { set: 1 }],
    ['get', () => session.get('user-abc'), { get: 1 }],
    ['get sliding', () => session.get('user-abc', { slide: true }), { getex: 1 }],
    ['touch', () => session.touch('user-abc', 600), { expire: 1 }],
    ['delete', () => session.delete('user-abc'), { del: 1 }],
    ['create', () => session.create(data), { set: 1 }],
    ['get of a missing session', () => session.get('nobody'), { get: 1 }],
  ] as const)('%s costs exactly 1 command', async (_name, run, expected) => {
    const counted = await billedCommands(stack.env.REDIS_URL, run)
    expect(counted.byCommand).toEqual(expected)
    expect(counted.total).toBe(1)
  })
})

describe('session when Redis cannot answer', () => {
  it('throws RedisUnavailableError within the timeout when Redis hangs (CLIENT PAUSE)', async () => {
    const slow = createSession(
      createContext({ ...stack.env, REDIS_KEY_PREFIX: uniquePrefix('sesshang'), REDIS_TIMEOUT_MS: '300', UPSTASH_DISABLE_TELEMETRY: 'true' }),
    )
    const admin = await directClient(stack.env.REDIS_URL)
    try {
      // A real hang: Redis holds every client's commands for 3 s; the endpoint waits on it. Each call gives up
      // after its 300 ms timeout, long before the pause ends (the bound leaves room for a loaded machine).
      await admin.sendCommand(['CLIENT', 'PAUSE', '3000', 'ALL'])
      let started = performance.now()
      await expect(slow.get('user-abc')).rejects.toBeInstanceOf(RedisUnavailableError)
      expect(performance.now() - started).toBeLessThan(1500)
      started = performance.now()
      await expect(slow.set('user-abc', data)).rejects.toThrow(/Redis is unavailable \(session\.set\)/)
      expect(performance.now() - started).toBeLessThan(1500)
    } finally {
      await admin.sendCommand(['CLIENT', 'UNPAUSE'])
      await admin.close()
    }
    expect(await slow.get('still-works')).toBeNull()
  })

  it('throws RedisUnavailableError (a 503 for routes) within 2 s once the endpoint is stopped', async () => {
    await stack.endpoint.close()
    for (const call of [
      () => session.get('user-abc'),
      () => session.set('user-abc', data),
      () => session.delete('user-abc'),
      () => session.touch('user-abc'),
      () => session.create(data),
    ]) {
      const started = performance.now()
      const err = await call().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(RedisUnavailableError)
      expect((err as RedisUnavailableError).status).toBe(503)
      expect(performance.now() - started).toBeLessThan(2000)
    }
  })
})
