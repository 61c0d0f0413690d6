import { describe, expect, it } from 'vitest'
import { createContext, createSession, createRateLimit, memoryStore } from '@/redis'

/** REDIS_ENABLED=false: counted in this process, flagged reason 'disabled'. */
const disabledCtx = () => createContext({ REDIS_ENABLED: 'false', REDIS_KEY_PREFIX: 'mem' })

function manualClock(start: number) {
  let now = start
  return { now: () => now, advance: (ms: number) => void (now += ms), set: (t: number) => void (now = t) }
}

describe('session.rateLimit with REDIS_ENABLED=false', () => {
  it('answers the seed call, flagged disabled', async () => {
    const session = createSession(disabledCtx())
    const before = Date.now()
    const { allowed, remaining, resetAt, limit, reason } = await session.rateLimit('api:u1', 100, 900)
    expect({ allowed, remaining, limit, reason }).toEqual({
      allowed: true,
      remaining: 99,
      limit: 100,
      reason: 'disabled',
    })
    expect(resetAt).toBe((Math.floor(before / 900_000) + 1) * 900_000)
  })

  it('admits exactly 100 of 300 concurrent calls with limit 100', async () => {
    // The clock is pinned inside one bucket so no call sees a bucket change.
    const clock = manualClock(1_800_000_000_000 - (1_800_000_000_000 % 900_000) + 450_000)
    const session = createSession(disabledCtx(), { store: memoryStore({ now: clock.now }) })
    const results = await Promise.all(Array.from({ length: 300 }, () => session.rateLimit('api:burst', 100, 900)))
    expect(results.filter((r) => r.allowed)).toHaveLength(100)
    expect(results.every((r) => r.reason === 'disabled')).toBe(true)
  })

  it('keeps at most maxCounters counters (the least recently used one starts over)', async () => {
    const clock = manualClock(1_800_000_000_000)
    const session = createSession(disabledCtx(), { store: memoryStore({ now: clock.now, maxCounters: 2 }) })
    expect((await session.rateLimit('a', 1, 60)).allowed).toBe(true)
    expect((await session.rateLimit('b', 1, 60)).allowed).toBe(true)
    expect((await session.rateLimit('a', 1, 60)).allowed).toBe(false) // a is now more recent than b
    expect((await session.rateLimit('c', 1, 60)).allowed).toBe(true) // evicts b
    expect((await session.rateLimit('a', 1, 60)).allowed).toBe(false)
    expect((await session.rateLimit('b', 1, 60)).allowed).toBe(true) // forgotten: counts from zero
  })
})

describe('the sliding window, in process (the same algorithm as with Redis)', () => {
  const w = 60_000
  const bucketStart = 1_800_000_000_000 - (1_800_000_000_000 % w)

  /** A rate limit counted in this process on a clock the test moves, answering { allowed, remaining, resetAt }. */
  function limiterAt(start: number) {
    const clock = manualClock(start)
    const limiter = createRateLimit(disabledCtx(), { store: memoryStore({ now: clock.now }) })
    const rl = {
      limit: (id: string, limit: number, windowMs: number) =>
        limiter(id, limit, windowMs / 1000).then(({ allowed, remaining, resetAt }) => ({
          allowed,
          remaining,
          resetAt,
        })),
    }
    return { clock, rl }
  }

  it('counts within a bucket and refuses beyond the limit without counting the refusal', async () => {
    const { rl } = limiterAt(bucketStart + 1000)
    const answers = []
    for (let i = 0; i < 4; i++) answers.push(await rl.limit('id', 3, w))
    expect(answers).toEqual([
      { allowed: true, remaining: 2, resetAt: bucketStart + w },
      { allowed: true, remaining: 1, resetAt: bucketStart + w },
      { allowed: true, remaining: 0, resetAt: bucketStart + w },
      { allowed: false, remaining: 0, resetAt: bucketStart + w },
    ])
  })

  it('weights the previous bucket by its remaining overlap (floor)', async () => {
    const { clock, rl } = limiterAt(bucketStart + 1000)
    for (let i = 0; i < 10; i++) await rl.limit('id', 10, w)
    // 25 % into the next bucket: floor(0.75 × 10) = 7 still count, so 3 more are admitted.
    clock.set(bucketStart + w + w / 4)
    const next = []
    for (let i = 0; i < 4; i++) next.push(await rl.limit('id', 10, w))
    expect(next.map((r) => r.allowed)).toEqual([true, true, true, false])
    expect(next.map((r) => r.remaining)).toEqual([2, 1, 0, 0])
    expect(next[0]!.resetAt).toBe(bucketStart + 2 * w)
    // Two buckets later nothing of it remains.
    clock.set(bucketStart + 3 * w)
    expect(await rl.limit('id', 10, w)).toMatchObject({ allowed: true, remaining: 9 })
  })

  it('keeps windows of one identifier apart', async () => {
    const { rl } = limiterAt(bucketStart + 1000)
    expect((await rl.limit('id', 1, w)).allowed).toBe(true)
    expect((await rl.limit('id', 1, w)).allowed).toBe(false)
    expect((await rl.limit('id', 1, 2 * w)).allowed).toBe(true)
  })
})
