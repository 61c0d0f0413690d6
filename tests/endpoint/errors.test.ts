import { ClientOfflineError, DisconnectsClientError, ErrorReply, SocketClosedUnexpectedlyError } from 'redis'
import { describe, expect, it } from 'vitest'
import { isUnavailable, NoAnswerError, NotSentError, notSent } from '@/upstash-local/errors'

/** How the endpoint tells an outage (503/504) from Redis's own answer (400) and from its own bug (500). */
describe('isUnavailable', () => {
  it('is true for what node-redis and the endpoint report when Redis is not there', () => {
    for (const err of [
      new NotSentError('x'),
      new NoAnswerError('x'),
      new ClientOfflineError(),
      new DisconnectsClientError(),
      new SocketClosedUnexpectedlyError(),
    ]) {
      expect(isUnavailable(err)).toBe(true)
    }
  })

  it('is false for Redis’s own error replies and for anything else: a bug surfaces as a 500', () => {
    expect(isUnavailable(new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(
      false,
    )
    expect(isUnavailable(new TypeError("Cannot read properties of undefined (reading 'length')"))).toBe(false)
    expect(isUnavailable(new RangeError('Invalid array length'))).toBe(false)
    expect(isUnavailable('a string')).toBe(false)
  })

  it('tells "not sent" (503, safe to retry) from "sent, no answer" (504)', () => {
    expect(notSent(new NotSentError('x'))).toBe(true)
    expect(notSent(new ClientOfflineError())).toBe(true)
    expect(notSent(new NoAnswerError('x'))).toBe(false)
    expect(notSent(new DisconnectsClientError())).toBe(false)
  })
})
