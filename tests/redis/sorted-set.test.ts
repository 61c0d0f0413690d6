import { describe, expect, inject, it } from 'vitest'
import { createContext, RedisDisabledError, RedisInputError, RedisUnavailableError, createSortedSet } from '@/redis'
import { directClient } from '../../testing/redis-direct'
import { uniquePrefix } from '../../testing/stack'
import { onPrivateStack, stackContext } from '../support/redis'

const shared = inject('stack')
const prefix = uniquePrefix('zset')
const sortedSet = createSortedSet(
  createContext({ ...shared, REDIS_KEY_PREFIX: prefix, UPSTASH_DISABLE_TELEMETRY: 'true' }),
)

describe('sortedSet: the seed API', () => {
  it('add, top (highest first, with scores) and increment as written in the guide', async () => {
    const now = Date.now()
    await sortedSet.add('dossier-activity', 'dossier-123', now)
    await sortedSet.add('dossier-activity', 'dossier-456', now - 60_000)
    await sortedSet.add('dossier-activity', 'dossier-789', now + 1)
    const topDossiers = await sortedSet.top('dossier-activity', 10)
    expect(topDossiers).toEqual([
      { member: 'dossier-789', score: now + 1 },
      { member: 'dossier-123', score: now },
      { member: 'dossier-456', score: now - 60_000 },
    ])
    expect(await sortedSet.top('dossier-activity', 2)).toHaveLength(2)

    expect(await sortedSet.increment('user-points', 'user-123', 10)).toBe(10)
    expect(await sortedSet.increment('user-points', 'user-123', 10)).toBe(20)
    expect(await sortedSet.increment('user-points', 'user-123', -2.5)).toBe(17.5)
    expect(await sortedSet.increment('user-points', 'user-9')).toBe(1) // by defaults to 1
  })

  it('add returns whether the member is new and overwrites the score', async () => {
    expect(await sortedSet.add('scores', 'a', 1)).toBe(true)
    expect(await sortedSet.add('scores', 'a', 5)).toBe(false)
    expect(await sortedSet.score('scores', 'a')).toBe(5)
  })

  it('rank (0 = highest), score and remove; null for absent members or keys', async () => {
    await sortedSet.add('ranks', 'low', 1)
    await sortedSet.add('ranks', 'mid', 2)
    await sortedSet.add('ranks', 'high', 3)
    expect(await sortedSet.rank('ranks', 'high')).toBe(0)
    expect(await sortedSet.rank('ranks', 'low')).toBe(2)
    expect(await sortedSet.rank('ranks', 'nobody')).toBeNull()
    expect(await sortedSet.score('ranks', 'mid')).toBe(2)
    expect(await sortedSet.score('ranks', 'nobody')).toBeNull()
    expect(await sortedSet.score('no-such-key', 'x')).toBeNull()
    expect(await sortedSet.top('no-such-key', 5)).toEqual([])
    expect(await sortedSet.remove('ranks', 'mid', 'nobody')).toBe(1)
    expect(await sortedSet.remove('ranks')).toBe(0)
    expect(await sortedSet.top('ranks', 10)).toEqual([
      { member: 'high', score: 3 },
      { member: 'low', score: 1 },
    ])
  })

  it('members are binary-safe strings; keys live under <prefix>:zset:', async () => {
    await sortedSet.add('unicode', 'cabinet « Dupont » ✓', 1.25)
    expect(await sortedSet.top('unicode', 1)).toEqual([{ member: 'cabinet « Dupont » ✓', score: 1.25 }])
    const direct = await directClient(shared.REDIS_URL)
    try {
      expect(await direct.sendCommand(['ZSCORE', `${prefix}:zset:unicode`, 'cabinet « Dupont » ✓'])).toBe('1.25')
    } finally {
      await direct.close()
    }
  })

  it('countAbove counts the members scoring strictly more (ties are not above)', async () => {
    for (const [m, s] of [
      ['a', 5],
      ['b', 5],
      ['c', 3],
      ['d', -1],
    ] as const)
      await sortedSet.add('above', m, s)
    expect(await sortedSet.countAbove('above', 5)).toBe(0)
    expect(await sortedSet.countAbove('above', 3)).toBe(2)
    expect(await sortedSet.countAbove('above', 0)).toBe(3)
    expect(await sortedSet.countAbove('above', -1.5)).toBe(4)
    expect(await sortedSet.countAbove('no-such-key', 0)).toBe(0)
    await expect(sortedSet.countAbove('above', Number.NaN)).rejects.toThrow(
      /^sortedSet\.countAbove: score: expected a finite number/,
    )
  })

  it('concurrent increments are all counted', async () => {
    await Promise.all(Array.from({ length: 100 }, () => sortedSet.increment('race', 'm', 2)))
    expect(await sortedSet.score('race', 'm')).toBe(200)
  })

  it('rejects bad input with a clear error before any call', async () => {
    await expect(sortedSet.add('k', 'm', Number.NaN)).rejects.toThrow(
      /^sortedSet\.add: score: expected a finite number \(got NaN\)$/,
    )
    await expect(sortedSet.add('k', 'm', '5' as never)).rejects.toThrow(
      /^sortedSet\.add: score: expected a finite number \(got a 1-character string\)$/,
    )
    await expect(sortedSet.add('', 'm', 1)).rejects.toThrow(
      /^sortedSet\.add: key: must not be empty \(got an empty string\)$/,
    )
    await expect(sortedSet.top('k', 0)).rejects.toThrow(/^sortedSet\.top: n: must be at least 1 \(got 0\)$/)
    await expect(sortedSet.top('k', 2.5)).rejects.toThrow(/^sortedSet\.top: n: expected a whole number \(got 2\.5\)$/)
    await expect(sortedSet.increment('k', 42 as never, 1)).rejects.toBeInstanceOf(RedisInputError)
    await expect(sortedSet.increment('k', 42 as never, 1)).rejects.toThrow(
      /^sortedSet\.increment: member: expected a string \(got 42\)$/,
    )
    expect(await sortedSet.top('k', 10)).toEqual([])
  })
})

describe('sortedSet on a private stack: cost and failure', () => {
  const own = onPrivateStack((env) =>
    createSortedSet(stackContext(env, 'zcost', { REDIS_TIMEOUT_MS: '500', REDIS_RETRIES: '1' })),
  )

  it('every call costs at most 1 billed command', async () => {
    expect(await own.billed(() => own.helper.add('a', 'm', 1))).toBeLessThanOrEqual(1)
    expect(await own.billed(() => own.helper.top('a', 10))).toBeLessThanOrEqual(1)
    expect(await own.billed(() => own.helper.increment('a', 'm', 10))).toBeLessThanOrEqual(1)
    expect(await own.billed(() => own.helper.rank('a', 'm'))).toBeLessThanOrEqual(1)
    expect(await own.billed(() => own.helper.score('a', 'm'))).toBeLessThanOrEqual(1)
    expect(await own.billed(() => own.helper.remove('a', 'm'))).toBeLessThanOrEqual(1)
    expect(await own.billed(() => own.helper.countAbove('a', 0))).toBeLessThanOrEqual(1)
  })

  it('Redis unreachable: throws RedisUnavailableError within the bound (data, not cache)', async () => {
    await own.stack.endpoint.close()
    const started = performance.now()
    await expect(own.helper.top('a', 10)).rejects.toBeInstanceOf(RedisUnavailableError)
    await expect(own.helper.add('a', 'm', 1)).rejects.toThrow(/Redis is unavailable \(sortedSet\.add\)/)
    await expect(own.helper.increment('a', 'm', 1)).rejects.toBeInstanceOf(RedisUnavailableError)
    expect(performance.now() - started).toBeLessThan(3_000)
  })

  it('REDIS_ENABLED=false: throws RedisDisabledError', async () => {
    const off = createSortedSet(createContext({ REDIS_ENABLED: 'false' }))
    await expect(off.top('a', 10)).rejects.toBeInstanceOf(RedisDisabledError)
    await expect(off.increment('a', 'm', 1)).rejects.toThrow(
      /sortedSet\.increment needs Redis, but REDIS_ENABLED=false/,
    )
  })
})
