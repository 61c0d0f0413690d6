import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContext, createRateLimit, type RateLimitFn, type RateLimitResult } from '@/lib/upstash'
import { countCommands, directClient } from '../support/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../support/stack'

/** A private stack: INFO commandstats sees only this file's commands, and its endpoint can be stopped. */
let stack: Stack
let rateLimit: RateLimitFn
const contextEnv = (extra: Record<string, string> = {}) => ({ ...stack.env, REDIS_KEY_PREFIX: uniquePrefix('rlcost'), UPSTASH_DISABLE_TELEMETRY: 'true', ...extra })

beforeAll(async () => {
  stack = await startStack()
  rateLimit = createRateLimit(createContext(contextEnv()))
})
afterAll(async () => {
  await stack.stop()
})

/**
 * The commands a client sent (what Upstash bills). INFO commandstats also lists the commands a Lua
 * script runs inside Redis; those are returned apart so the test can check them too.
 */
async function billed(run: () => Promise<unknown>) {
  const { byCommand } = await countCommands(stack.env.REDIS_URL, run)
  const { evalsha = 0, eval: evalCalls = 0, ...insideScript } = byCommand
  return { evalsha, eval: evalCalls, insideScript }
}

describe('rateLimit: Redis commands per call', () => {
  it('costs 1 EVALSHA per call once the script is cached by Redis', async () => {
    // First call on a fresh Redis: EVALSHA → NOSCRIPT, then EVAL (as on Upstash). Once per server.
    const first = await billed(() => rateLimit('api:first', 10, 900))
    expect(first).toMatchObject({ evalsha: 1, eval: 1 })

    for (let i = 0; i < 3; i++) {
      let result: RateLimitResult | undefined
      const steady = await billed(async () => {
        result = await rateLimit('api:steady', 10, 900)
      })
      expect(result?.allowed).toBe(true)
      expect(steady.evalsha).toBe(1)
      expect(steady.eval).toBe(0)
      // What the sliding-window script does inside that one command.
      expect(steady.insideScript).toEqual(i === 0 ? { get: 2, incrby: 1, pexpire: 1 } : { get: 2, incrby: 1 })
    }
  })

  it('a new Ratelimit instance (another limit or window) reuses the cached script: still 1 command', async () => {
    expect(await billed(() => rateLimit('api:other', 7, 60))).toMatchObject({ evalsha: 1, eval: 0 })
    // And another context on the same server (another app instance) likewise, from its first call.
    const other = createRateLimit(createContext(contextEnv()))
    expect(await billed(() => other('api:other', 7, 60))).toMatchObject({ evalsha: 1, eval: 0 })
  })

  it('once Redis has refused an identifier, further calls in that bucket cost 0 commands (ephemeral cache)', async () => {
    expect((await rateLimit('api:blocked', 1, 900)).allowed).toBe(true)
    const refusal = await billed(() => rateLimit('api:blocked', 1, 900))
    expect(refusal.evalsha).toBe(1)
    let cached: RateLimitResult | undefined
    expect(await billed(async () => (cached = await rateLimit('api:blocked', 1, 900)))).toEqual({ evalsha: 0, eval: 0, insideScript: {} })
    expect(cached).toMatchObject({ allowed: false, remaining: 0, limit: 1 })
    expect(cached?.resetAt).toBe((Math.floor(Date.now() / 900_000) + 1) * 900_000)
  })
})

describe('rateLimit when Redis cannot answer', () => {
  it('answers within the timeout per the failure policy when Redis hangs (CLIENT PAUSE)', async () => {
    const hangEnv = contextEnv({ REDIS_TIMEOUT_MS: '300' })
    const open = createRateLimit(createContext(hangEnv))
    const closedByConfig = createRateLimit(createContext({ ...hangEnv, RATE_LIMIT_FAILURE_POLICY: 'closed' }))
    await open('api:warm', 10, 60) // learn the script before the hang, so the hang is the only cause
    const admin = await directClient(stack.env.REDIS_URL)
    try {
      await admin.sendCommand(['CLIENT', 'PAUSE', '1500', 'ALL'])
      const started = performance.now()
      const [a, b, c] = await Promise.all([open('api:hang', 10, 60), open('api:hang', 10, 60, { onFailure: 'closed' }), closedByConfig('api:hang', 10, 60)])
      const elapsed = performance.now() - started
      expect(a).toMatchObject({ allowed: true, reason: 'unavailable', remaining: 0, limit: 10 })
      expect(b).toMatchObject({ allowed: false, reason: 'unavailable', remaining: 0, limit: 10 })
      expect(c).toMatchObject({ allowed: false, reason: 'unavailable' })
      expect(a.resetAt).toBeGreaterThan(Date.now())
      expect(elapsed).toBeLessThan(1000)
    } finally {
      await admin.sendCommand(['CLIENT', 'UNPAUSE'])
      await admin.close()
    }
    // Back to normal once Redis answers again: counted, not flagged.
    expect(await open('api:after-hang', 10, 60)).toMatchObject({ allowed: true, remaining: 9 })
    expect((await closedByConfig('api:after-hang', 10, 60)).reason).toBeUndefined()
  })

  it('with the endpoint stopped: open → allowed and flagged, closed → refused, both within 2 s', async () => {
    const closedByConfig = createRateLimit(createContext(contextEnv({ RATE_LIMIT_FAILURE_POLICY: 'closed' })))
    await stack.endpoint.close()
    for (const [call, allowed] of [
      [() => rateLimit('api:down', 100, 900), true],
      [() => rateLimit('api:down', 100, 900, { onFailure: 'open' }), true],
      [() => rateLimit('api:down', 100, 900, { onFailure: 'closed' }), false],
      [() => closedByConfig('api:down', 100, 900), false],
      [() => closedByConfig('api:down', 100, 900, { onFailure: 'open' }), true],
    ] as const) {
      const started = performance.now()
      const result = await call()
      expect(performance.now() - started).toBeLessThan(2000)
      expect(result).toMatchObject({ allowed, reason: 'unavailable', remaining: 0, limit: 100 })
    }
  })
})
