import { createHash } from 'node:crypto'
import { Redis } from '@upstash/redis'
import { describe, expect, inject, it } from 'vitest'
import { stripUpstashFlags } from '@/upstash-local/script-flags'
import { uniquePrefix } from '../../testing/stack'

/**
 * Upstash accepts `#!lua flags=allow-key-locking` (used by @upstash/ratelimit ≥ 2.2); redis-server
 * refuses it. The endpoint strips it and maps the client's SHA to Redis's, so clients see Upstash.
 */
const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = inject('stack')
const redis = new Redis({ url, token, enableTelemetry: false })
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex')

describe('stripUpstashFlags', () => {
  it('drops only Upstash-only flags from the shebang', () => {
    expect(stripUpstashFlags('#!lua flags=allow-key-locking\n  return 1')).toBe('#!lua\n  return 1')
    expect(stripUpstashFlags('#!lua flags=no-writes,allow-key-locking\nreturn 1')).toBe(
      '#!lua flags=no-writes\nreturn 1',
    )
    expect(stripUpstashFlags('#!lua flags=no-writes\nreturn 1')).toBeUndefined()
    expect(stripUpstashFlags('return 1 -- flags=allow-key-locking')).toBeUndefined()
  })
})

describe('scripts with allow-key-locking through the endpoint', () => {
  // A unique body per run, so Redis's script cache from other tests cannot help.
  const script = `#!lua flags=allow-key-locking\n-- ${uniquePrefix('s')}\nreturn redis.call('INCR', KEYS[1])`
  const key = `${uniquePrefix('flags')}:n`

  it('EVAL runs, then EVALSHA of the SHA the client computed works, and SCRIPT EXISTS knows it', async () => {
    expect(await redis.eval(script, [key], [])).toBe(1)
    expect(await redis.evalsha(sha1(script), [key], [])).toBe(2)
    expect(await redis.scriptExists(sha1(script))).toEqual([1])
  })

  it('SCRIPT LOAD answers the client’s SHA, usable by EVALSHA (also in a pipeline)', async () => {
    const other = `${script}\n-- load`
    expect(await redis.scriptLoad(other)).toBe(sha1(other))
    const p = redis.pipeline()
    p.evalsha(sha1(other), [key], [])
    p.evalsha(sha1(other), [key], [])
    expect(await p.exec()).toEqual([3, 4])
  })

  it('a script the server never saw still answers NOSCRIPT (so clients fall back to EVAL)', async () => {
    await expect(redis.evalsha(sha1(`${script}\n-- never`), [key], [])).rejects.toThrow(/NOSCRIPT/)
  })
})
