/**
 * The Redis layer's entry for the app, as the guide spells it:
 *   import { redis, cache, session, queue, sortedSet, hashMap, isRedisAvailable } from '@/lib/upstash'
 * The layer itself is the framework-free package in src/redis; this file re-exports it and gives it
 * Next's after(), so that work after the answer (a stale entry's refresh) outlives the response.
 */
import { after } from 'next/server'
import { setWaitUntil } from '@/redis'

export * from '@/redis'

setWaitUntil((promise) => {
  try {
    after(() => promise)
  } catch {
    // Not inside a request scope (a script, a test, the worker): the promise just runs on.
  }
})
