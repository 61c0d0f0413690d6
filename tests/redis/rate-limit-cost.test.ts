import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createContext, createRateLimit, type RateLimitFn } from '@/redis'
import { billedCommands } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

/**
 * What rateLimit costs in billed Upstash commands (counted on a private redis-server, commands
 * inside scripts included), and that it stays exact across instances and around a window's edge.
 */
let stack: Stack
const instance = (prefix: string): RateLimitFn =>
  createRateLimit(
    createContext({
      ...stack.env,
      REDIS_KEY_PREFIX: prefix,
      REDIS_TIMEOUT_MS: '10000',
      UPSTASH_DISABLE_TELEMETRY: 'true',
    }),
  )

beforeAll(async () => {
  stack = await startStack()
})
afterAll(async () => {
  await stack.stop()
})

const billed = (fn: () => Promise<unknown>) => billedCommands(stack.env.REDIS_URL, fn).then((r) => r.total)

/** Resolves when the wall clock reads `epochMs` (rate-limit buckets are wall-clock time). */
const clockAt = (epochMs: number) => new Promise((r) => setTimeout(r, Math.max(0, epochMs - Date.now())))

/** A window whose current bucket has at least `marginMs` left. */
function windowAwayFromBoundary(base = 3600, marginMs = 60_000): number {
  for (let w = base; ; w++) if (w * 1000 - (Date.now() % (w * 1000)) > marginMs) return w
}

describe('rateLimit: billed commands', () => {
  it('3 for the first call of a bucket in an instance, then 1 per call: ≤ 1.5 on average', async () => {
    const limit = instance(uniquePrefix('rlcost'))
    const w = windowAwayFromBoundary()
    expect(await billed(() => limit('user:1', 100, w))).toBe(3) // INCR + PEXPIRE NX + GET previous bucket
    expect(await billed(() => limit('user:1', 100, w))).toBe(1) // INCR
    let total = 0
    for (let i = 0; i < 50; i++) total += await billed(() => limit('user:1', 100, w))
    expect(total / 50).toBe(1)
    // Another identifier: its own first call.
    expect(await billed(() => limit('user:2', 100, w))).toBe(3)
  })

  it('a refused call costs 2 (the unit is given back), then 0 while this instance knows it is refused', async () => {
    const limit = instance(uniquePrefix('rlrefuse'))
    const w = windowAwayFromBoundary()
    for (let i = 0; i < 3; i++) expect((await limit('ip:1', 3, w)).allowed).toBe(true)
    let refused
    expect(await billed(async () => (refused = await limit('ip:1', 3, w)))).toBe(2)
    expect(refused).toMatchObject({ allowed: false, remaining: 0 })
    expect(await billed(() => limit('ip:1', 3, w))).toBe(0)
  })

  it('another instance that has not seen the refusal asks Redis, and agrees', async () => {
    const prefix = uniquePrefix('rlshare')
    const [a, b] = [instance(prefix), instance(prefix)]
    const w = windowAwayFromBoundary()
    for (let i = 0; i < 3; i++) expect((await a('ip:2', 3, w)).allowed).toBe(true)
    expect((await a('ip:2', 3, w)).allowed).toBe(false)
    expect((await b('ip:2', 3, w)).allowed).toBe(false)
  })
})

describe('rateLimit: exactness', () => {
  it('300 simultaneous calls with limit 100 across 3 instances admit exactly 100', async () => {
    const prefix = uniquePrefix('rlexact')
    const instances = [instance(prefix), instance(prefix), instance(prefix)]
    const w = windowAwayFromBoundary()
    let results: Awaited<ReturnType<RateLimitFn>>[] = []
    const total = await billed(
      async () =>
        (results = await Promise.all(Array.from({ length: 300 }, (_, i) => instances[i % 3]!('api:burst', 100, w)))),
    )
    expect(results.filter((r) => r.reason !== undefined)).toEqual([])
    // Each instance sets the bucket up once (3), every call INCRs (300), each refusal gives its unit back (200).
    expect(total).toBe(3 * 3 + 297 + 200)
    expect(results.filter((r) => r.allowed)).toHaveLength(100)
    // The refused ones gave their unit back: a caller in the next window is weighed on 100, not 300.
    expect(new Set(results.filter((r) => r.allowed).map((r) => r.remaining)).size).toBe(100)
  })

  it('two bursts straddling a window edge admit the limit, plus at most the share the sliding window rounds away', async () => {
    const prefix = uniquePrefix('rledge')
    const a = instance(prefix)
    const b = instance(prefix)
    const windowMs = 4000
    // The test is about wall-clock buckets: wait for the last 300 ms of one (at most one window).
    const edge = (Math.floor(Date.now() / windowMs) + (windowMs - (Date.now() % windowMs) > 400 ? 1 : 2)) * windowMs
    await clockAt(edge - 300)
    const first = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b)('api:edge', 100, windowMs / 1000)),
    )
    await clockAt(edge + 50) // just past the edge
    const second = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b)('api:edge', 100, windowMs / 1000)),
    )
    const admitted = first.filter((r) => r.allowed).length + second.filter((r) => r.allowed).length
    expect(first.filter((r) => r.allowed)).toHaveLength(100)
    // Right after the edge the previous bucket still weighs ≥ 90 %: at most ~10 more.
    expect(admitted).toBeLessThanOrEqual(110)
    expect(admitted).toBeGreaterThanOrEqual(100)
  })
})
