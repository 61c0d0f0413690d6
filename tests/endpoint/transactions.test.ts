import { describe, expect, inject, it } from 'vitest'
import { directClient } from '../../testing/redis-direct'
import { uniquePrefix } from '../../testing/stack'
import { raw, upstash } from './support'

/** Pipelines, MULTI/EXEC and concurrency: order, per-entry errors, atomicity, no lost updates. */
const stack = inject('stack')
const redis = upstash(stack, { deserialize: false })
const p = uniquePrefix('tx')
const k = (name: string) => `${p}:${name}`
const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

describe('pipeline', () => {
  it('runs commands in order and keeps per-entry errors (client keepErrors)', async () => {
    await redis.set(k('word'), 'abc')
    const out = await redis.pipeline().set(k('p1'), 'v').incr(k('word')).get(k('p1')).exec({ keepErrors: true })
    expect(out[0]).toEqual({ result: 'OK', error: undefined })
    expect(out[1]!.error).toMatch(/^ERR value is not an integer/)
    expect(out[2]).toEqual({ result: 'v', error: undefined })
  })

  it('answers 200 with one entry per command over raw HTTP, refused commands included', async () => {
    const res = await raw(stack, '/pipeline', {
      body: JSON.stringify([
        ['SET', k('r1'), 'x'],
        ['LPUSH', k('r1'), 'y'],
        ['SUBSCRIBE', 'c'],
        ['GET', k('r1')],
      ]),
    })
    expect(res.status).toBe(200)
    const entries = res.json as { result?: unknown; error?: string }[]
    expect(entries).toHaveLength(4)
    expect(entries[0]).toEqual({ result: 'OK' })
    expect(entries[1]!.error).toMatch(/^WRONGTYPE/)
    expect(entries[2]!.error).toMatch(/SUBSCRIBE is not allowed.*\/subscribe\/<channel>/)
    expect(entries[3]).toEqual({ result: 'x' })
  })

  it('rejects the whole pipeline when one command is malformed (400, names the command)', async () => {
    const res = await raw(stack, '/pipeline', { body: JSON.stringify([['SET', k('m'), 'x'], 'GET']) })
    expect(res.status).toBe(400)
    expect((res.json as { error: string }).error).toMatch(/\/pipeline command 1: expected a non-empty JSON array/)
    expect(await redis.get(k('m'))).toBeNull()
  })
})

describe('multi-exec', () => {
  it('runs a transaction through the client', async () => {
    const out = await redis.multi().set(k('m1'), '1').incr(k('m1')).get(k('m1')).exec()
    expect(out).toEqual(['OK', 2, '2'])
  })

  it('is atomic: concurrent transactions each see consecutive INCR results while another client INCRs', async () => {
    const key = k('atomic')
    // 64 KB between the two INCRs: Redis reads it in several chunks, so without MULTI/EXEC the other
    // client's INCRs would get in between.
    const filler = 'f'.repeat(64 * 1024)
    const direct = await directClient(stack.REDIS_URL)
    let done = false
    let noise = 0
    const noisy = (async () => {
      while (!done) {
        await Promise.all(range(20).map(() => direct.incr(key)))
        noise += 20
      }
    })()
    try {
      const results = await Promise.all(
        range(30).map(async (i) => {
          const res = await raw(stack, '/multi-exec', {
            body: JSON.stringify([
              ['INCR', key],
              ['SET', k(`filler${i}`), filler],
              ['INCR', key],
            ]),
          })
          expect(res.status).toBe(200)
          const [first, , second] = res.json as { result: number }[]
          return [first!.result, second!.result] as const
        }),
      )
      done = true
      await noisy
      for (const [first, second] of results) expect(second).toBe(first + 1)
      expect(Number(await direct.get(key))).toBe(results.length * 2 + noise)
    } finally {
      done = true
      await noisy
      await direct.close()
    }
  })

  it('gives per-entry errors when a command fails at run time (the others still apply)', async () => {
    const res = await raw(stack, '/multi-exec', {
      body: JSON.stringify([
        ['SET', k('rt'), 'abc'],
        ['INCR', k('rt')],
        ['APPEND', k('rt'), 'd'],
        ['GET', k('rt')],
      ]),
    })
    expect(res.status).toBe(200)
    const entries = res.json as { result?: unknown; error?: string }[]
    expect(entries[0]).toEqual({ result: 'OK' })
    expect(entries[1]!.error).toMatch(/^ERR value is not an integer/)
    expect(entries[2]).toEqual({ result: 4 })
    expect(entries[3]).toEqual({ result: 'abcd' })
  })

  it('answers 400 and applies nothing when a command fails to queue (EXECABORT)', async () => {
    const res = await raw(stack, '/multi-exec', {
      body: JSON.stringify([
        ['SET', k('qe'), 'x'],
        ['SET', k('qe')],
      ]),
    })
    expect(res.status).toBe(400)
    expect((res.json as { error: string }).error).toMatch(/EXECABORT.*wrong number of arguments/)
    expect(await redis.get(k('qe'))).toBeNull()
    // The shared connection is not left inside a MULTI.
    expect(await redis.set(k('after'), 'ok')).toBe('OK')
    expect(await redis.get(k('after'))).toBe('ok')
  })

  it('refuses connection-state commands inside a transaction with 400', async () => {
    const res = await raw(stack, '/multi-exec', {
      body: JSON.stringify([
        ['WATCH', k('w')],
        ['SET', k('w'), '1'],
      ]),
    })
    expect(res.status).toBe(400)
    expect((res.json as { error: string }).error).toMatch(/WATCH is not allowed/)
    expect(await redis.get(k('w'))).toBeNull()
  })
})

describe('concurrency', () => {
  it.each([
    { mode: 'one request per call', autoPipelining: false },
    { mode: 'auto-pipelining', autoPipelining: true },
  ])('hundreds of concurrent INCRs land exactly ($mode)', async ({ autoPipelining }) => {
    const client = upstash(stack, { autoPipelining, deserialize: false })
    const key = k(`incr-${autoPipelining}`)
    const n = 400
    const values = await Promise.all(range(n).map(() => client.incr(key)))
    expect([...values].sort((a, b) => a - b)).toEqual(range(n))
    expect(await client.get(key)).toBe(String(n))
  })
})
