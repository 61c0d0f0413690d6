/**
 * The Redis layer's entry for the app, as the guide spells it:
 *   import { redis, cache, session, queue, sortedSet, hashMap, isRedisAvailable } from '@/lib/upstash'
 * The layer itself is the framework-free package in src/redis; this file re-exports it.
 */
export * from '@/redis'
