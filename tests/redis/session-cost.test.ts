import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createContext, createSession, RedisOutcomeUnknownError, RedisUnavailableError, type Session } from '@/redis'
import { billedCommands, directClient } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

/** A private stack, so INFO commandstats counts only this file's commands and its endpoint can be stopped. */
let stack: Stack
let session: Session
const data = { userId: 'abc', tenantId: 'tenant-xyz', role: 'ADMIN' }

beforeAll(async () => {
  stack = await startStack()
  session = createSession(
    createContext({ ...stack.env, REDIS_KEY_PREFIX: uniquePrefix('sesscost'), UPSTASH_DISABLE_TELEMETRY: 'true' }),
  )
})
afterAll(async () => {
  await stack.stop()
})

describe('session: Redis commands per call (INFO commandstats)', () => {
  it.each([
    ['set', () => session.set('user-abc', data)],
    ['get', () => session.get('user-abc')],
    ['get sliding', () => session.get('user-abc', { slide: true })],
    ['touch', () => session.touch('user-abc', 600)],
    ['delete', () => session.delete('user-abc')],
    ['create', () => session.create(data)],
    ['get of a missing session', () => session.get('nobody')],
  ] as const)('%s costs at most 1 billed command', async (_name, run) => {
    const counted = await billedCommands(stack.env.REDIS_URL, run)
    expect(counted.total).toBeLessThanOrEqual(1)
  })
})

describe('session when Redis cannot answer', () => {
  it('throws RedisUnavailableError within the timeout when Redis hangs (CLIENT PAUSE)', async () => {
    const slow = createSession(
      createContext({
        ...stack.env,
        REDIS_KEY_PREFIX: uniquePrefix('sesshang'),
        REDIS_TIMEOUT_MS: '300',
        UPSTASH_DISABLE_TELEMETRY: 'true',
      }),
    )
    const admin = await directClient(stack.env.REDIS_URL)
    try {
      // A real hang: Redis holds every client's commands for 3 s; the endpoint waits on it (2 s, then a 504).
      // Each call gives up on its own 300 ms timeout: a TimeoutError, not the endpoint's 504 (outcome unknown).
      await admin.sendCommand(['CLIENT', 'PAUSE', '3000', 'ALL'])
      for (const call of [() => slow.get('user-abc'), () => slow.set('user-abc', data)]) {
        const err = await call().catch((e: unknown) => e)
        expect(err).toBeInstanceOf(RedisUnavailableError)
        expect(err).not.toBeInstanceOf(RedisOutcomeUnknownError)
        expect((err as Error).cause).toMatchObject({ name: 'TimeoutError' })
      }
    } finally {
      await admin.sendCommand(['CLIENT', 'UNPAUSE'])
      await admin.close()
    }
    // Back by itself: the endpoint may first answer "outcome unknown" while it rebuilds the connection the hang stalled.
    await vi.waitFor(async () => expect(await slow.get('still-works')).toBeNull(), { timeout: 5_000, interval: 50 })
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
      expect((err as RedisUnavailableError).code).toBe('REDIS_UNAVAILABLE')
      expect(performance.now() - started).toBeLessThan(2000)
    }
  })
})
