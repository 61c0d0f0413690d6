import type { Redis } from '@upstash/redis'

/**
 * The cache's Lua scripts. Each runs as one EVALSHA (one billed command; the very first call per
 * process and script is EVALSHA → NOSCRIPT → EVAL, i.e. two). Every key a script touches is passed in
 * KEYS and shares one hash tag (see cache.ts), so the scripts stay valid on a cluster.
 *
 * Generations are compared as strings: Lua numbers are doubles and tostring() would turn a large one
 * into "1.7e+15".
 */

/**
 * Read an entry and, when asked, take the loader lock if it is missing or stale.
 * KEYS: value, lock, [generation]. ARGV: nowMs, lockToken, lockTtlMs, tryLock ("1"/"0").
 * Returns {generation|nil, entry|nil, locked (0/1)}; generation nil = namespace never written or evicted.
 */
const READ = `
local gen = '0'
if KEYS[3] then gen = redis.call('GET', KEYS[3]) end
local v = false
if gen then
  v = redis.call('GET', KEYS[1])
  if v and string.sub(v, 1, #gen + 1) ~= gen .. '|' then v = false end
end
local stale = false
if v then
  local fresh = string.match(v, '^[^|]*|(%d+)|')
  stale = fresh ~= nil and fresh ~= '0' and tonumber(fresh) <= tonumber(ARGV[1])
end
local locked = 0
if ARGV[4] == '1' and ((not v) or stale) then
  if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then locked = 1 end
end
return {gen, v, locked}
`

/**
 * Write an entry (and release our lock in the same command).
 * KEYS: value, lock, [generation]. ARGV: expectedGeneration, initialGeneration, body, ttlSeconds, lockToken.
 * expectedGeneration: "" = write under the current generation (a plain set); "-" = the reader saw no
 * generation; otherwise the generation the reader saw. If the namespace moved on since (invalidated
 * while the loader ran), the value may predate the change, so it is not written. Returns 1 if written.
 */
const WRITE = `
if ARGV[5] ~= '' and redis.call('GET', KEYS[2]) == ARGV[5] then redis.call('DEL', KEYS[2]) end
local gen = '0'
if KEYS[3] then
  gen = redis.call('GET', KEYS[3])
  if not gen then
    if ARGV[1] ~= '' and ARGV[1] ~= '-' then return 0 end
    gen = ARGV[2]
    redis.call('SET', KEYS[3], gen)
  elseif ARGV[1] ~= '' and ARGV[1] ~= gen then
    return 0
  end
end
redis.call('SET', KEYS[1], gen .. '|' .. ARGV[3], 'EX', ARGV[4])
if KEYS[3] then
  -- The generation outlives every entry written under it, then expires too: namespaces nobody writes
  -- any more (e.g. one per unknown tenant id) do not pile up. Recreated later, it cannot revive anything.
  local left = redis.call('TTL', KEYS[3])
  if left == -1 or left < tonumber(ARGV[4]) then redis.call('EXPIRE', KEYS[3], ARGV[4]) end
end
return 1
`

/** Is there a live entry? KEYS: value, generation. Returns 1/0. */
const EXISTS = `
local gen = redis.call('GET', KEYS[2])
if not gen then return 0 end
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #gen + 1) == gen .. '|' then return 1 end
return 0
`

/**
 * Invalidate a namespace: bump its generation. KEYS: generation. ARGV: initialGeneration.
 * A missing counter (never written, expired, or evicted) restarts from a clock-based value rather than 0,
 * so entries written under an evicted counter can never become valid again. Created here it lives a day:
 * long enough to fail any loader that read before the invalidation, short enough not to accumulate.
 */
const INVALIDATE = `
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1], 'EX', 86400) end
return redis.call('INCR', KEYS[1])
`

/** Release our lock (only if it is still ours). KEYS: lock. ARGV: token. */
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`

type Script<T> = { exec(keys: string[], args: string[]): Promise<T> }

export interface CacheScripts {
  read: Script<[string | null, string | null, number]>
  write: Script<number>
  exists: Script<number>
  invalidate: Script<number>
  unlock: Script<number>
}

const byClient = new WeakMap<Redis, CacheScripts>()

/** The scripts bound to one client (created once per client so their SHA-1 is computed once). */
export function cacheScripts(redis: Redis): CacheScripts {
  let s = byClient.get(redis)
  if (!s) {
    s = {
      read: redis.createScript(READ),
      write: redis.createScript(WRITE),
      exists: redis.createScript(EXISTS),
      invalidate: redis.createScript(INVALIDATE),
      unlock: redis.createScript(UNLOCK),
    }
    byClient.set(redis, s)
  }
  return s
}
