import { errors } from '@upstash/redis'
import { describe, expect, it } from 'vitest'
import { RedisUnavailableError } from '@/redis'
import { isConnectionError, redactMessage } from '@/redis/core/errors'

const { UpstashError } = errors

describe('isConnectionError', () => {
  it('treats network failures, timeouts, endpoint 503s and Upstash quota errors as outages', () => {
    expect(isConnectionError(new TypeError('fetch failed'))).toBe(true)
    expect(
      isConnectionError(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' })),
    ).toBe(true)
    expect(
      isConnectionError(new UpstashError('ERR Redis is unavailable: no connection is ready, command was: ["get","k"]')),
    ).toBe(true)
    expect(
      isConnectionError(new UpstashError('ERR max daily request limit exceeded. Limit: 10000, Usage: 10000')),
    ).toBe(true)
    expect(isConnectionError(new UpstashError('ERR max requests limit exceeded. Limit: 10000, Usage: 10000'))).toBe(
      true,
    )
  })

  it('classifies by what the transport reports: an error code on the error or its cause', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })
    expect(isConnectionError(new TypeError('fetch failed', { cause: reset }))).toBe(true)
    expect(
      isConnectionError(
        new Error('request failed', { cause: Object.assign(new Error('socket'), { code: 'UND_ERR_SOCKET' }) }),
      ),
    ).toBe(true)
    expect(
      isConnectionError(Object.assign(new Error('getaddrinfo ENOTFOUND x.upstash.io'), { code: 'ENOTFOUND' })),
    ).toBe(true)
  })

  it('leaves Redis’s own answers and programming errors alone: they surface as what they are', () => {
    expect(
      isConnectionError(new UpstashError('WRONGTYPE Operation against a key holding the wrong kind of value')),
    ).toBe(false)
    expect(isConnectionError(new Error('something else'))).toBe(false)
    expect(isConnectionError('string')).toBe(false)
    // A bug is not an outage, even a TypeError, even one whose message mentions a socket or a timeout.
    expect(isConnectionError(new TypeError("Cannot read properties of undefined (reading 'get')"))).toBe(false)
    expect(isConnectionError(new Error('invalid timeout option: -1'))).toBe(false)
    expect(isConnectionError(new RangeError('socket pool size must be positive'))).toBe(false)
  })

  it('never repeats a bearer token from the cause', () => {
    const err = new RedisUnavailableError('cache.get', { cause: new Error('401 Bearer AXsecret123 rejected') })
    expect(err.message).not.toContain('AXsecret123')
    expect(err.code).toBe('REDIS_UNAVAILABLE')
  })

  it('keeps the command name but drops its arguments (keys, values) from Redis errors', () => {
    const raw =
      'WRONGTYPE Operation against a key holding the wrong kind of value, command was: [["get","p:session:sid-secret"]]'
    expect(redactMessage(raw)).toBe(
      'WRONGTYPE Operation against a key holding the wrong kind of value, command was: GET (arguments hidden)',
    )
    expect(redactMessage('ERR x, command was: {"weird":1}')).toBe('ERR x, command was: ? (arguments hidden)')
    expect(redactMessage('fetch failed')).toBe('fetch failed')
  })
})
