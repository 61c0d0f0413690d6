import { z } from 'zod'
import { resolveContext, type ContextSource } from '../core/context'
import { keyNameSchema, parseInput } from '../core/helper-input'
import { withRedis } from '../core/run'

/** A member and its score, as `top` returns them. */
export interface ScoredMember {
  member: string
  score: number
}

/**
 * Rankings in a Redis sorted set (`<prefix>:zset:<key>`): leaderboards, "most active" lists.
 * Failure: like hashMap, this is data, so an unreachable Redis throws RedisUnavailableError (REDIS_UNAVAILABLE)
 * and REDIS_ENABLED=false throws RedisDisabledError.
 */
export interface SortedSet {
  /** Sets `member`'s score (adding the member if needed). Returns true when the member is new. 1 command (ZADD). */
  add(key: string, member: string, score: number): Promise<boolean>
  /** The `n` highest-scored members, highest first. 1 command (ZRANGE … REV WITHSCORES). */
  top(key: string, n: number): Promise<ScoredMember[]>
  /** Adds `by` to `member`'s score (0 when absent) and returns the new score. 1 command (ZINCRBY). */
  increment(key: string, member: string, by?: number): Promise<number>
  /** 0-based position counted from the highest score, null when absent. 1 command (ZREVRANK). */
  rank(key: string, member: string): Promise<number | null>
  /** The member's score, null when absent. 1 command (ZSCORE). */
  score(key: string, member: string): Promise<number | null>
  /** Removes members; returns how many were there. 1 command (ZREM). */
  remove(key: string, ...members: string[]): Promise<number>
  /** How many members score strictly more than `score` (a rank with ties shared: 1 + this). 1 command (ZCOUNT). */
  countAbove(key: string, score: number): Promise<number>
}

const memberSchema = z.string({ error: 'expected a string' })
// zod 4's number already refuses NaN and ±Infinity (Redis would refuse NaN, and a score must compare).
const scoreSchema = z.number({ error: 'expected a finite number' })
const countSchema = z
  .number({ error: 'expected a number' })
  .int('expected a whole number')
  .min(1, 'must be at least 1')
  .max(10_000, 'must be at most 10000')

export function createSortedSet(source: ContextSource): SortedSet {
  const keyOf = (key: string, op: string) =>
    resolveContext(source).keys.key('zset', parseInput(keyNameSchema, key, `sortedSet.${op}: key`))

  return {
    async add(key, member, score) {
      const ctx = resolveContext(source)
      const redisKey = keyOf(key, 'add')
      parseInput(memberSchema, member, 'sortedSet.add: member')
      parseInput(scoreSchema, score, 'sortedSet.add: score')
      const added = await withRedis(ctx, 'sortedSet.add', (redis) => redis.zadd(redisKey, { score, member }))
      return added === 1
    },

    async top(key, n) {
      const ctx = resolveContext(source)
      const redisKey = keyOf(key, 'top')
      parseInput(countSchema, n, 'sortedSet.top: n')
      const flat = await withRedis(
        ctx,
        'sortedSet.top',
        (redis) => redis.zrange(redisKey, 0, n - 1, { rev: true, withScores: true }) as Promise<unknown[]>,
      )
      const out: ScoredMember[] = []
      for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: String(flat[i]), score: toScore(flat[i + 1]) })
      return out
    },

    async increment(key, member, by = 1) {
      const ctx = resolveContext(source)
      const redisKey = keyOf(key, 'increment')
      parseInput(memberSchema, member, 'sortedSet.increment: member')
      parseInput(scoreSchema, by, 'sortedSet.increment: by')
      return toScore(await withRedis(ctx, 'sortedSet.increment', (redis) => redis.zincrby(redisKey, by, member)))
    },

    async rank(key, member) {
      const ctx = resolveContext(source)
      const redisKey = keyOf(key, 'rank')
      parseInput(memberSchema, member, 'sortedSet.rank: member')
      const rank = await withRedis(ctx, 'sortedSet.rank', (redis) => redis.zrevrank(redisKey, member))
      return rank === null || rank === undefined ? null : Number(rank)
    },

    async score(key, member) {
      const ctx = resolveContext(source)
      const redisKey = keyOf(key, 'score')
      parseInput(memberSchema, member, 'sortedSet.score: member')
      const score = await withRedis(ctx, 'sortedSet.score', (redis) => redis.zscore(redisKey, member))
      return score === null || score === undefined ? null : toScore(score)
    },

    async remove(key, ...members) {
      const ctx = resolveContext(source)
      const redisKey = keyOf(key, 'remove')
      if (members.length === 0) return 0
      members.forEach((m, i) => parseInput(memberSchema, m, `sortedSet.remove: members[${i}]`))
      const [first, ...rest] = members as [string, ...string[]]
      return withRedis(ctx, 'sortedSet.remove', (redis) => redis.zrem(redisKey, first, ...rest))
    },

    async countAbove(key, score) {
      const ctx = resolveContext(source)
      const redisKey = keyOf(key, 'countAbove')
      parseInput(scoreSchema, score, 'sortedSet.countAbove: score')
      // "(" makes the bound exclusive: equal scores are not above.
      return Number(
        await withRedis(ctx, 'sortedSet.countAbove', (redis) => redis.zcount(redisKey, `(${score}`, '+inf')),
      )
    },
  }
}

/** Redis answers scores as strings ("15", "inf"); the client may already have made them numbers. */
function toScore(raw: unknown): number {
  if (typeof raw === 'number') return raw
  const s = String(raw)
  if (s === 'inf' || s === '+inf') return Infinity
  if (s === '-inf') return -Infinity
  return Number(s)
}
