import { describe, expect, inject, it } from 'vitest'
import { createLeaderboard } from '@/lib/leaderboard'
import { createContext, createSortedSet } from '@/lib/upstash'
import { uniquePrefix } from '../support/stack'

/** The guide's leaderboard calls over the Redis layer's sortedSet (moved out of tests/redis/sorted-set.test.ts: it is the app's). */
const shared = inject('stack')
const sortedSet = createSortedSet(
  createContext({ ...shared, REDIS_KEY_PREFIX: uniquePrefix('zset'), UPSTASH_DISABLE_TELEMETRY: 'true' }),
)

describe('leaderboard (src/lib/leaderboard.ts)', () => {
  it('updateTenantScore accumulates points, getTopTenants returns the 10 best, best first', async () => {
    const board = createLeaderboard(sortedSet)
    for (let i = 1; i <= 12; i++) await board.updateTenantScore(`tenant-${i}`, i * 10)
    expect(await board.updateTenantScore('tenant-1', 1_000)).toBe(1_010)
    const top = await board.getTopTenants()
    expect(top).toHaveLength(10)
    expect(top[0]).toEqual({ member: 'tenant-1', score: 1_010 })
    expect(top[1]).toEqual({ member: 'tenant-12', score: 120 })
    expect(top.map((t) => t.member)).not.toContain('tenant-2')
    expect(await board.getTenantRank('tenant-12')).toBe(1)
    expect(await board.getTenantRank('tenant-unknown')).toBeNull()
  })
})
