import type { Redis } from '@upstash/redis'

/**
 * The queue's Lua scripts. Every queue operation is one of these, run with EVALSHA (1 command,
 * atomic on the server), so concurrent workers and instances never see a half-done move.
 *
 * KEYS, identical for every script (all in one hash slot, see queue.ts):
 *   1 waiting   LIST  job ids ready to run (LPUSH at the tail, RPOP at the head: FIFO)
 *   2 delayed   ZSET  job id -> time (ms) it becomes due (delayed pushes and retries)
 *   3 inflight  ZSET  job id -> lease deadline (ms)
 *   4 data      HASH  job id -> payload JSON, exactly as the caller's JSON (Lua never re-encodes it)
 *   5 meta      HASH  job id -> small cjson record {a attempts, m maxAttempts, b backoffMs,
 *                     x maxBackoffMs, c createdAt, t lease token, e last error, f failedAt}
 *   6 dead      LIST  job ids that ran out of attempts, newest first (data + meta kept)
 * Time comes from the server (TIME), so instances with skewed clocks agree on due dates and leases.
 */
const prelude = `
local K_WAITING, K_DELAYED, K_INFLIGHT, K_DATA, K_META, K_DEAD = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Moves a job to the dead-letter list and keeps that list bounded (oldest dead jobs are dropped).
local function to_dead(id, meta, err, now, limit)
  meta.t = nil
  meta.e = err
  meta.f = now
  redis.call('HSET', K_META, id, cjson.encode(meta))
  redis.call('LPUSH', K_DEAD, id)
  while redis.call('LLEN', K_DEAD) > limit do
    local old = redis.call('RPOP', K_DEAD)
    redis.call('HDEL', K_DATA, old)
    redis.call('HDEL', K_META, old)
  end
end

-- Leases past their deadline belong to workers that died or stalled: the attempt counts, and the
-- job goes back to the head of the waiting list (or to the dead letters when it has no attempt left).
local function reclaim(now, dead_limit)
  local expired = redis.call('ZRANGEBYSCORE', K_INFLIGHT, '-inf', now, 'LIMIT', 0, 1000)
  for _, id in ipairs(expired) do
    redis.call('ZREM', K_INFLIGHT, id)
    local raw = redis.call('HGET', K_META, id)
    if raw then
      local meta = cjson.decode(raw)
      local err = 'lease expired after attempt ' .. meta.a .. ' (the worker did not ack in time)'
      if meta.a >= meta.m then
        to_dead(id, meta, err, now, dead_limit)
      else
        meta.t = nil
        meta.e = err
        redis.call('HSET', K_META, id, cjson.encode(meta))
        redis.call('RPUSH', K_WAITING, id)
      end
    end
  end
end

-- Delayed jobs whose time has come join the tail of the waiting list, earliest first.
local function promote(now)
  local due = redis.call('ZRANGEBYSCORE', K_DELAYED, '-inf', now, 'LIMIT', 0, 1000)
  for _, id in ipairs(due) do
    redis.call('ZREM', K_DELAYED, id)
    redis.call('LPUSH', K_WAITING, id)
  end
end
`

/** ARGV: id, payload, maxAttempts, backoffMs, maxBackoffMs, delayMs. Returns 1, or 0 when this id is already queued (a retried request). */
const PUSH = `${prelude}
local id = ARGV[1]
if redis.call('HEXISTS', K_DATA, id) == 1 then return 0 end
local now = now_ms()
local delay = tonumber(ARGV[6])
redis.call('HSET', K_DATA, id, ARGV[2])
redis.call('HSET', K_META, id, cjson.encode({a = 0, m = tonumber(ARGV[3]), b = tonumber(ARGV[4]), x = tonumber(ARGV[5]), c = now}))
if delay > 0 then
  redis.call('ZADD', K_DELAYED, now + delay, id)
else
  redis.call('LPUSH', K_WAITING, id)
end
return 1
`

/** ARGV: deadLetterLimit. Removes the next job and returns its payload (at-most-once), or false. */
const POP = `${prelude}
local now = now_ms()
reclaim(now, tonumber(ARGV[1]))
promote(now)
for _ = 1, 100 do
  local id = redis.call('RPOP', K_WAITING)
  if not id then return false end
  local data = redis.call('HGET', K_DATA, id)
  redis.call('HDEL', K_DATA, id)
  redis.call('HDEL', K_META, id)
  if data then return data end
end
return false
`

/**
 * ARGV: visibilityMs, leaseToken, deadLetterLimit.
 * Returns {id, payload, attempts, maxAttempts, leaseDeadline, createdAt, lastError|false, now} or false.
 */
const RESERVE = `${prelude}
local now = now_ms()
reclaim(now, tonumber(ARGV[3]))
promote(now)
for _ = 1, 100 do
  local id = redis.call('RPOP', K_WAITING)
  if not id then return false end
  local data = redis.call('HGET', K_DATA, id)
  local raw = redis.call('HGET', K_META, id)
  if data and raw then
    local meta = cjson.decode(raw)
    meta.a = meta.a + 1
    meta.t = ARGV[2]
    local deadline = now + tonumber(ARGV[1])
    redis.call('HSET', K_META, id, cjson.encode(meta))
    redis.call('ZADD', K_INFLIGHT, deadline, id)
    return {id, data, meta.a, meta.m, deadline, meta.c, meta.e or false, now}
  end
  -- an id without its record (should not happen): drop the remnants and try the next one
  redis.call('HDEL', K_DATA, id)
  redis.call('HDEL', K_META, id)
end
return false
`

/** Shared lease check: the job must be in flight under this very token (a reclaimed job's old token no longer matches). */
const leaseCheck = `
local id, token = ARGV[1], ARGV[2]
local raw = redis.call('HGET', K_META, id)
if not raw or not redis.call('ZSCORE', K_INFLIGHT, id) then return false end
local meta = cjson.decode(raw)
if meta.t ~= token then return false end
`

/** ARGV: id, token. Returns 1 when this lease completed the job, false when the lease was lost. */
const ACK = `${prelude}${leaseCheck}
redis.call('ZREM', K_INFLIGHT, id)
redis.call('HDEL', K_DATA, id)
redis.call('HDEL', K_META, id)
return 1
`

/**
 * ARGV: id, token, error, deadLetterLimit, giveUp ('1' = dead-letter now).
 * Returns {'retry', attempts, dueAt, delayMs} | {'dead', attempts} | false (lease lost).
 */
const FAIL = `${prelude}${leaseCheck}
local now = now_ms()
redis.call('ZREM', K_INFLIGHT, id)
if meta.a >= meta.m or ARGV[5] == '1' then
  to_dead(id, meta, ARGV[3], now, tonumber(ARGV[4]))
  return {'dead', meta.a}
end
local delay = math.floor(math.min(meta.b * 2 ^ (meta.a - 1), meta.x))
meta.t = nil
meta.e = ARGV[3]
redis.call('HSET', K_META, id, cjson.encode(meta))
redis.call('ZADD', K_DELAYED, now + delay, id)
return {'retry', meta.a, now + delay, delay}
`

/** ARGV: id, token, visibilityMs. Pushes the lease deadline out (a heartbeat); returns the new deadline or false. */
const EXTEND = `${prelude}${leaseCheck}
local deadline = now_ms() + tonumber(ARGV[3])
redis.call('ZADD', K_INFLIGHT, 'XX', deadline, id)
return deadline
`

/** No ARGV. Jobs ready now: waiting plus delayed ones already due (what pop/reserve would find). Read-only. */
const LENGTH = `${prelude}
return redis.call('LLEN', K_WAITING) + redis.call('ZCOUNT', K_DELAYED, '-inf', now_ms())
`

/** No ARGV. {waiting (incl. due delayed), inFlight, delayed (not yet due), dead}. Read-only. */
const STATS = `${prelude}
local now = now_ms()
local due = redis.call('ZCOUNT', K_DELAYED, '-inf', now)
return {redis.call('LLEN', K_WAITING) + due, redis.call('ZCARD', K_INFLIGHT), redis.call('ZCARD', K_DELAYED) - due, redis.call('LLEN', K_DEAD)}
`

/** ARGV: limit. The newest dead jobs: a flat list of id, payload, meta JSON. Read-only. */
const LIST_DEAD = `${prelude}
local out = {}
for _, id in ipairs(redis.call('LRANGE', K_DEAD, 0, tonumber(ARGV[1]) - 1)) do
  table.insert(out, id)
  table.insert(out, redis.call('HGET', K_DATA, id) or false)
  table.insert(out, redis.call('HGET', K_META, id) or false)
end
return out
`

/** ARGV: id. Moves a dead job back to waiting with a fresh set of attempts; 1, or 0 when it is not dead. */
const RETRY_DEAD = `${prelude}
local id = ARGV[1]
if redis.call('LREM', K_DEAD, 1, id) == 0 then return 0 end
local raw = redis.call('HGET', K_META, id)
if not raw then
  redis.call('HDEL', K_DATA, id)
  return 0
end
local meta = cjson.decode(raw)
meta.a = 0
meta.f = nil
redis.call('HSET', K_META, id, cjson.encode(meta))
redis.call('LPUSH', K_WAITING, id)
return 1
`

const sources = {
  push: PUSH,
  pop: POP,
  reserve: RESERVE,
  ack: ACK,
  fail: FAIL,
  extend: EXTEND,
  length: LENGTH,
  stats: STATS,
  listDead: LIST_DEAD,
  retryDead: RETRY_DEAD,
} as const

export type QueueScriptName = keyof typeof sources

/** Runs one script: EVALSHA, falling back to EVAL once per server when the script is not loaded yet. */
export type QueueScripts = Record<QueueScriptName, { exec(keys: string[], args: string[]): Promise<unknown> }>

const perClient = new WeakMap<Redis, QueueScripts>()

/** The scripts bound to one client (created once per client; @upstash/redis caches each SHA-1). */
export function queueScripts(redis: Redis): QueueScripts {
  let scripts = perClient.get(redis)
  if (!scripts) {
    scripts = Object.fromEntries(Object.entries(sources).map(([name, lua]) => [name, redis.createScript<unknown>(lua)])) as unknown as QueueScripts
    perClient.set(redis, scripts)
  }
  return scripts
}
