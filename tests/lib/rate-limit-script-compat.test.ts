import { Redis } from '@upstash/redis'
import { describe, expect, inject, it } from 'vitest'
import { acceptUpstashScriptFlags, stripUpstashOnlyFlags } from '@/lib/redis/script-compat'
import { uniquePrefix } from '../support/stack'

const { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token } = inject('stack')

describe('stripUpstashOnlyFlags', () => {
  it('drops only allow-key-locking from the shebang', () => {
    expect(stripUpstashOnlyFlags('#!lua flags=allow-key-locking\n  return 1')).toBe('#!lua\n  return 1')
    expect(stripUpstashOnlyFlags('#!lua flags=no-writes,allow-key-locking\nreturn 1')).toBe('#!lua flags=no-writes\nreturn 1')
    expect(stripUpstashOnlyFlags('return 1 -- flags=allow-key-locking')).toBe('return 1 -- flags=allow-key-locking')
  })
})

describe('acceptUpstashScriptFlags against a real redis-server (which refuses the flag)', () => {
  const redis = new Redis({ url, token, enableTelemetry: false })
  const client = acceptUpstashScriptFlags(redis)
  const script = `#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1])`
  const key = `${uniquePrefix('compat')}:n`

  it('the bare client is refused: this is what the wrapper is for', async () => {
    await expect(redis.eval(script, [key], [])).rejects.toThrow(/Unexpected flag in script shebang: allow-key-locking/)
  })

  it('runs the script without the flag, then serves the original hash by EVALSHA', async () => {
    expect(await client.eval(script, [key], [])).toBe(1)
    const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(script))
    const hash = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
    expect(await client.evalsha(hash, [key], [])).toBe(2)
    expect(await client.eval(script, [key], [])).toBe(3)
  })

  it('passes other errors and other commands through, and wraps a client once', async () => {
    await expect(client.eval(`#!lua flags=allow-key-locking\nreturn redis.call('NOPE')`, [], [])).rejects.toThrow(/Unknown Redis command/)
    await expect(client.eval('return redis.call("NOPE")', [], [])).rejects.toThrow(/Unknown Redis command/)
    expect(await client.ping()).toBe('PONG')
    expect(acceptUpstashScriptFlags(redis)).toBe(client)
  })
})
