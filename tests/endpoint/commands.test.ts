import { describe, expect, inject, it } from 'vitest'
import { uniquePrefix } from '../../testing/stack'
import { upstash } from './support'

/**
 * Every command family through the real @upstash/redis client with its default (de)serialisation,
 * so its reply transforms (HGETALL → object, XRANGE → object, scores → numbers) see our replies;
 * once with one HTTP request per call (POST /) and once with auto-pipelining (the client's default:
 * concurrent calls batched into POST /pipeline).
 */
const stack = inject('stack')

describe.each([
  { mode: 'one request per call', autoPipelining: false },
  { mode: 'auto-pipelining', autoPipelining: true },
])('command families, $mode', ({ autoPipelining }) => {
  const redis = upstash(stack, { autoPipelining })
  const p = uniquePrefix(`cmd${autoPipelining ? 'a' : 'p'}`)
  const k = (name: string) => `${p}:${name}`

  it('strings: SET/GET, NX, EX, INCR/DECR, APPEND, MSET/MGET, GETDEL, STRLEN', async () => {
    expect(await redis.set(k('s'), 'bonjour')).toBe('OK')
    expect(await redis.get(k('s'))).toBe('bonjour')
    expect(await redis.get(k('missing'))).toBeNull()
    expect(await redis.set(k('s'), 'other', { nx: true })).toBeNull()
    expect(await redis.append(k('s'), ' ✓')).toBe(Buffer.byteLength('bonjour ✓'))
    expect(await redis.strlen(k('s'))).toBe(Buffer.byteLength('bonjour ✓'))
    expect(await redis.set(k('ttl'), 'x', { ex: 100 })).toBe('OK')
    const pttl = await redis.pttl(k('ttl'))
    expect(pttl).toBeGreaterThan(90_000)
    expect(pttl).toBeLessThanOrEqual(100_000)
    expect(await redis.incr(k('n'))).toBe(1)
    expect(await redis.incrby(k('n'), 41)).toBe(42)
    expect(await redis.decr(k('n'))).toBe(41)
    expect(await redis.incrbyfloat(k('f'), 1.5)).toBe(1.5)
    expect(await redis.mset({ [k('a')]: '1', [k('b')]: '2' })).toBe('OK')
    expect(await redis.mget(k('a'), k('b'), k('missing'))).toEqual([1, 2, null])
    expect(await redis.getdel(k('a'))).toBe(1)
    expect(await redis.exists(k('a'), k('b'))).toBe(1)
    expect(await redis.del(k('b'), k('s'))).toBe(2)
  })

  it('hashes: HSET/HGET/HGETALL/HINCRBY/HDEL/HLEN/HEXISTS', async () => {
    expect(await redis.hset(k('h'), { name: 'Cabinet Dupont', plan: 'PREMIUM', n: 41 })).toBe(3)
    expect(await redis.hget(k('h'), 'plan')).toBe('PREMIUM')
    expect(await redis.hincrby(k('h'), 'n', 1)).toBe(42)
    expect(await redis.hgetall(k('h'))).toEqual({ name: 'Cabinet Dupont', plan: 'PREMIUM', n: 42 })
    expect(await redis.hexists(k('h'), 'name')).toBe(1)
    expect(await redis.hdel(k('h'), 'name')).toBe(1)
    expect(await redis.hlen(k('h'))).toBe(2)
    expect(await redis.hmget(k('h'), 'plan', 'nope')).toEqual({ plan: 'PREMIUM', nope: null })
    expect(await redis.hgetall(k('no-hash'))).toBeNull()
  })

  it('lists: LPUSH/RPUSH/LRANGE/LPOP/RPOP/LLEN/LINDEX/LREM', async () => {
    expect(await redis.rpush(k('l'), 'b', 'c')).toBe(2)
    expect(await redis.lpush(k('l'), 'a')).toBe(3)
    expect(await redis.lrange(k('l'), 0, -1)).toEqual(['a', 'b', 'c'])
    expect(await redis.lindex(k('l'), 1)).toBe('b')
    expect(await redis.lpop(k('l'))).toBe('a')
    expect(await redis.rpop(k('l'))).toBe('c')
    expect(await redis.rpush(k('l'), 'b', 'x')).toBe(3)
    expect(await redis.lrem(k('l'), 0, 'b')).toBe(2)
    expect(await redis.llen(k('l'))).toBe(1)
    expect(await redis.lpop(k('empty'))).toBeNull()
  })

  it('sets: SADD/SMEMBERS/SISMEMBER/SREM/SCARD/SINTER', async () => {
    expect(await redis.sadd(k('s1'), 'a', 'b', 'c')).toBe(3)
    expect(await redis.sadd(k('s2'), 'b', 'c', 'd')).toBe(3)
    expect((await redis.smembers(k('s1'))).sort()).toEqual(['a', 'b', 'c'])
    expect(await redis.sismember(k('s1'), 'a')).toBe(1)
    expect(await redis.sismember(k('s1'), 'z')).toBe(0)
    expect((await redis.sinter(k('s1'), k('s2'))).sort()).toEqual(['b', 'c'])
    expect(await redis.srem(k('s1'), 'a')).toBe(1)
    expect(await redis.scard(k('s1'))).toBe(2)
  })

  it('sorted sets: ZADD/ZRANGE (rev, scores, by score)/ZINCRBY/ZSCORE/ZRANK/ZREM/ZCARD', async () => {
    expect(
      await redis.zadd(k('z'), { score: 3, member: 'c' }, { score: 1, member: 'a' }, { score: 2, member: 'b' }),
    ).toBe(3)
    expect(await redis.zrange(k('z'), 0, -1)).toEqual(['a', 'b', 'c'])
    expect(await redis.zrange(k('z'), 0, 1, { rev: true, withScores: true })).toEqual(['c', 3, 'b', 2])
    expect(await redis.zrange(k('z'), 2, 3, { byScore: true })).toEqual(['b', 'c'])
    expect(await redis.zincrby(k('z'), 10, 'a')).toBe(11)
    expect(await redis.zscore(k('z'), 'a')).toBe(11)
    expect(await redis.zrank(k('z'), 'a')).toBe(2)
    expect(await redis.zrem(k('z'), 'b')).toBe(1)
    expect(await redis.zcard(k('z'))).toBe(2)
    expect(await redis.zscore(k('z'), 'nobody')).toBeNull()
  })

  it('streams: XADD/XRANGE/XLEN, consumer groups with XREADGROUP and XACK', async () => {
    const id1 = await redis.xadd(k('x'), '*', { task: 'email', to: 'a@b.c' })
    const id2 = await redis.xadd(k('x'), '*', { task: 'ocr' })
    expect(id1).toMatch(/^\d+-\d+$/)
    expect(await redis.xlen(k('x'))).toBe(2)
    expect(await redis.xrange(k('x'), '-', '+')).toEqual({
      [id1]: { task: 'email', to: 'a@b.c' },
      [id2]: { task: 'ocr' },
    })
    expect(await redis.xgroup(k('x'), { type: 'CREATE', group: 'workers', id: '0' })).toBe('OK')
    const read = (await redis.xreadgroup('workers', 'w1', k('x'), '>', { count: 10 })) as unknown[]
    expect(read).toEqual([
      [
        k('x'),
        [
          [id1, ['task', 'email', 'to', 'a@b.c']],
          [id2, ['task', 'ocr']],
        ],
      ],
    ])
    expect(await redis.xack(k('x'), 'workers', [id1, id2])).toBe(2)
    // Nothing new for the group: null, not an error.
    expect(await redis.xreadgroup('workers', 'w1', k('x'), '>')).toBeNull()
  })

  it('scripts: EVAL, SCRIPT LOAD + EVALSHA, createScript, NOSCRIPT and script errors', async () => {
    const lua = `return {KEYS[1], ARGV[1], redis.call('INCRBY', KEYS[1], ARGV[1])} -- ${p}`
    expect(await redis.eval(lua, [k('e')], ['5'])).toEqual([k('e'), 5, 5])
    const sha = await redis.scriptLoad(lua)
    expect(sha).toMatch(/^[0-9a-f]{40}$/)
    expect(await redis.evalsha(sha, [k('e')], ['5'])).toEqual([k('e'), 5, 10])
    // A script Redis has never seen: createScript's EVALSHA gets NOSCRIPT and falls back to EVAL.
    const script = redis.createScript<number>(`return redis.call('INCR', KEYS[1]) -- fresh ${p}`)
    expect(await script.exec([k('cs')], [])).toBe(1)
    expect(await script.exec([k('cs')], [])).toBe(2)
    await expect(redis.evalsha('0'.repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/)
    await expect(redis.eval(`return redis.error_reply('ERR custom failure')`, [], [])).rejects.toThrow(/custom failure/)
  })

  it('errors from Redis reach the caller with their message (WRONGTYPE, unknown command)', async () => {
    await redis.set(k('str'), 'x')
    await expect(redis.lpush(k('str'), 'y')).rejects.toThrow(/WRONGTYPE/)
    await expect(redis.exec(['NOSUCHCOMMAND', 'x'])).rejects.toThrow(/unknown command/i)
    // The same client keeps working after errors.
    expect(await redis.get(k('str'))).toBe('x')
  })

  it('JSON values round-trip (automatic deserialisation)', async () => {
    await redis.set(k('user'), { name: 'John', role: 'admin', n: 1 })
    expect(await redis.get(k('user'))).toEqual({ name: 'John', role: 'admin', n: 1 })
  })

  it('raw replies with automaticDeserialization: false (how the project configures the client)', async () => {
    const rawClient = upstash(stack, { autoPipelining, deserialize: false })
    await rawClient.hset(k('rh'), { a: '1' })
    await rawClient.zadd(k('rz'), { score: 2, member: 'm' })
    expect(await rawClient.hgetall(k('rh'))).toEqual(['a', '1'])
    expect(await rawClient.zrange(k('rz'), 0, -1, { withScores: true })).toEqual(['m', '2'])
    expect(await rawClient.incrbyfloat(k('rf'), 1.5)).toBe('1.5')
  })
})
