import type { Redis } from '@upstash/redis'
import { reportScriptCommands } from '../core/billing'

/**
 * The queue's layout and its few Lua scripts. Upstash bills a script 1 + every command it runs, so
 * the hot path is built to run as few commands as possible: push is 2 plain commands, reserve 1
 * plain check + a 3-command script, ack 2 plain commands (8 per job); an empty reserve is 1. A push
 * with a group is a 3-command script (4; 10 per job).
 *
 * KEYS (all tagged `{name}`: one cluster slot):
 *   1 jobs  ZSET  job id → score (below): waiting, delayed, leased and dead jobs, one member each
 *   2 data  HASH  job id → `<meta JSON>\n<payload JSON>` (the payload exactly as the caller's JSON;
 *                 meta: m maxAttempts, b backoffMs, x maxBackoffMs, c createdAt, e last error,
 *                 r the attempt that error belongs to, f failedAt)
 *   3 dead  LIST  dead job ids, newest first (their data is kept)
 *   data also holds one field per job group, `~g:<group>` → the tick of the group's latest place
 *   (`~` never starts a job id), so a grouped push reads and writes it in the commands it runs anyway.
 *
 * score = tick × 1000 + leased × 100 + attempts, an exact integer in a double:
 *   tick: 100 µs since 2026-01-01 (the job is available from then: pushed at, due at, or lease deadline);
 *   leased: 1 while a worker holds it; attempts: reserves so far (≤ 99); dead jobs: +inf.
 *   A grouped push's tick is its place, not its push time: max(group's previous place + slot,
 *   now - window), at most now; so it is ready at once, and a group's burst is spaced out in the
 *   order while another group's first job lands near the front (fair queuing, no extra key to read).
 * A job is ready when its score ≤ now's tick × 1000 + 999: waiting, due, or a lease that expired
 * (then reclaimed by the next reserve). Times come from the callers' clocks (kept within ~1 s by NTP:
 * a worker whose clock runs ahead takes expired leases back early by its skew).
 *
 * Every script counts the commands it runs and answers {count, result}; exec() strips the count and
 * reports it (billing.ts), so the usage meter on /status bills a script as Upstash does. Counting is
 * Lua arithmetic: no extra command. A script that fails half-way reports nothing (none of ours do).
 */
const counter = `
local billed = 0
local server = redis
-- Redis 7 makes the global redis table read-only: a local of the same name shadows it for all below.
local redis = setmetatable({ call = function(...) billed = billed + 1 return server.call(...) end }, { __index = server })
`

/** A script body (which may return anywhere) run after the counter and the prelude, answering {count, result}. */
const counted = (body: string) => `${counter}${prelude}
local function main()
${body}
end
local result = main()
return {billed, result}
`

const prelude = `
local K_JOBS, K_DATA, K_DEAD = KEYS[1], KEYS[2], KEYS[3]

-- Scores reach 1e15: Lua would print them as 1.2345678901234e+14, so numbers are formatted whole.
local function int(n)
  return string.format('%.0f', n)
end

local function split(rec)
  local nl = string.find(rec, '\\n', 1, true)
  return cjson.decode(string.sub(rec, 1, nl - 1)), string.sub(rec, nl + 1)
end

-- Moves a job to the dead letters (kept with its data), keeping that list bounded.
local function to_dead(id, meta, payload, err, attempts, now_ms, limit)
  meta.e = err
  meta.r = attempts
  meta.f = now_ms
  redis.call('ZADD', K_JOBS, 'inf', id)
  redis.call('HSET', K_DATA, id, cjson.encode(meta) .. '\\n' .. payload)
  redis.call('LPUSH', K_DEAD, id)
  while redis.call('LLEN', K_DEAD) > limit do
    local old = redis.call('RPOP', K_DEAD)
    redis.call('ZREM', K_JOBS, old)
    redis.call('HDEL', K_DATA, old)
  end
end
`

/**
 * ARGV: id, seenScore, leaseTickScore (lease deadline tick × 1000 + 100), nowMs, deadLetterLimit, pop ("1": remove instead of lease).
 * Takes the job the caller saw ready, if nobody took it first. The check and the move are one
 * ZINCRBY: only the caller whose increment lands on the expected score wins (a loser undoes its step).
 * Returns {'ok', record, score} | {'taken'} | {'gone'} | {'dead'}.
 */
const CLAIM = `
local id, seen = ARGV[1], tonumber(ARGV[2])
local attempts = seen % 100
local target = tonumber(ARGV[3]) + attempts + 1
if ARGV[6] == '1' then
  if redis.call('ZREM', K_JOBS, id) == 0 then return {'taken'} end
  local rec = redis.call('HGET', K_DATA, id)
  redis.call('HDEL', K_DATA, id)
  if not rec then return {'gone'} end
  return {'ok', rec, 0}
end
local got = tonumber(redis.call('ZINCRBY', K_JOBS, int(target - seen), id))
if got ~= target then
  if got == target - seen then redis.call('ZREM', K_JOBS, id) else redis.call('ZINCRBY', K_JOBS, int(seen - target), id) end
  return {'taken'}
end
local rec = redis.call('HGET', K_DATA, id)
if not rec then
  redis.call('ZREM', K_JOBS, id)
  return {'gone'}
end
local meta, payload = split(rec)
if attempts >= meta.m then
  -- Its lease expired on the last attempt: no attempt left.
  to_dead(id, meta, payload, 'lease expired after attempt ' .. attempts .. ' (the worker did not ack in time)', attempts, tonumber(ARGV[4]), tonumber(ARGV[5]))
  return {'dead'}
end
return {'ok', rec, int(target)}
`

/**
 * ARGV: id, record, group, nowTick, slotTicks, windowTicks. A push with a group: 1 + 3 commands
 * (1 + 2 when the id is already queued: nothing changes). Returns 1 when queued, 0 when already there.
 */
const PUSH_GROUPED = `
local id, field = ARGV[1], '~g:' .. ARGV[3]
local now, slot, window = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local at = now - window
local last = tonumber(redis.call('HGET', K_DATA, field))
if last and last + slot > at then at = last + slot end
if at > now then at = now end
if at < 0 then at = 0 end
if redis.call('ZADD', K_JOBS, 'NX', int(at * 1000), id) == 0 then return 0 end
redis.call('HSET', K_DATA, id, ARGV[2], field, int(at))
return 1
`

/** Shared lease check: the job is still leased, at the attempt this lease is for. */
const leaseCheck = `
local id, attempt = ARGV[1], tonumber(ARGV[2])
local score = tonumber(redis.call('ZSCORE', K_JOBS, id))
if not score or score == math.huge or score % 100 ~= attempt or math.floor(score / 100) % 10 ~= 1 then return false end
`

/**
 * ARGV: id, attempt, error, deadLetterLimit, giveUp ('1'), nowTick, nowMs.
 * Returns {'retry', attempts, dueAtMs, delayMs} | {'dead', attempts} | false (lease lost).
 */
const FAIL = `${leaseCheck}
local meta, payload = split(redis.call('HGET', K_DATA, id))
if attempt >= meta.m or ARGV[5] == '1' then
  to_dead(id, meta, payload, ARGV[3], attempt, tonumber(ARGV[7]), tonumber(ARGV[4]))
  return {'dead', attempt}
end
local delay = math.floor(math.min(meta.b * 2 ^ (attempt - 1), meta.x))
meta.e = ARGV[3]
meta.r = attempt
redis.call('HSET', K_DATA, id, cjson.encode(meta) .. '\\n' .. payload)
redis.call('ZADD', K_JOBS, int((tonumber(ARGV[6]) + delay * 10) * 1000 + attempt), id)
return {'retry', attempt, int(tonumber(ARGV[7]) + delay), delay}
`

/** ARGV: id, attempt, leaseTick. A heartbeat: moves the lease deadline; 1, or false when the lease was lost. */
const EXTEND = `${leaseCheck}
redis.call('ZADD', K_JOBS, 'XX', int(tonumber(ARGV[3]) * 1000 + 100 + attempt), id)
return 1
`

/** ARGV: readyMax (now's tick × 1000 + 999). {waiting, inFlight, delayed, dead}. Read-only; O(jobs not dead). */
const STATS = `
local ready_max = tonumber(ARGV[1])
local waiting, inflight, delayed = 0, 0, 0
local all = redis.call('ZRANGEBYSCORE', K_JOBS, '-inf', '(inf', 'WITHSCORES')
for i = 2, #all, 2 do
  local s = tonumber(all[i])
  if math.floor(s / 100) % 10 == 1 then inflight = inflight + 1
  elseif s <= ready_max then waiting = waiting + 1
  else delayed = delayed + 1 end
end
return {waiting, inflight, delayed, redis.call('LLEN', K_DEAD)}
`

/** ARGV: id, nowTick. Puts a dead job back, waiting, with a fresh set of attempts; 1, or 0 when it is not dead. */
const RETRY_DEAD = `
local id = ARGV[1]
if redis.call('LREM', K_DEAD, 1, id) == 0 then return 0 end
local rec = redis.call('HGET', K_DATA, id)
if not rec then
  redis.call('ZREM', K_JOBS, id)
  return 0
end
local meta, payload = split(rec)
meta.f = nil
meta.r = nil
meta.e = nil
redis.call('HSET', K_DATA, id, cjson.encode(meta) .. '\\n' .. payload)
redis.call('ZADD', K_JOBS, int(tonumber(ARGV[2]) * 1000), id)
return 1
`

const sources = { pushGrouped: counted(PUSH_GROUPED), claim: counted(CLAIM), fail: counted(FAIL), extend: counted(EXTEND), stats: counted(STATS), retryDead: counted(RETRY_DEAD) } as const

export type QueueScriptName = keyof typeof sources

/**
 * Runs one script: EVALSHA, falling back to EVAL once per server when the script is not loaded yet.
 * Answers the script's own result (a Lua false or nil as null); the commands it ran are reported.
 */
export type QueueScripts = Record<QueueScriptName, { exec(keys: string[], args: string[]): Promise<unknown> }>

const perClient = new WeakMap<Redis, QueueScripts>()

/** The scripts bound to one client (created once per client; @upstash/redis caches each SHA-1). */
export function queueScripts(redis: Redis): QueueScripts {
  let scripts = perClient.get(redis)
  if (!scripts) {
    scripts = Object.fromEntries(
      Object.entries(sources).map(([name, lua]) => {
        const script = redis.createScript<[number, unknown?]>(lua)
        return [name, { exec: async (keys: string[], args: string[]) => uncount(await script.exec(keys, args)) }]
      }),
    ) as QueueScripts
    perClient.set(redis, scripts)
  }
  return scripts
}

/** {count, result} → result, reporting the count. */
function uncount(reply: [number, unknown?]): unknown {
  reportScriptCommands(Number(reply[0]))
  return reply[1] ?? null
}

/** 2026-01-01T00:00:00Z: ticks count from here so that scores stay exact integers for decades. */
const EPOCH_MS = Date.UTC(2026, 0, 1)
let lastTick = 0

/** Now, in 100 µs ticks since EPOCH_MS; never goes backwards within a process (FIFO for its pushes). */
export function nowTick(): number {
  const t = Math.floor(((performance.timeOrigin + performance.now()) - EPOCH_MS) * 10)
  lastTick = Math.max(lastTick, t)
  return lastTick
}

/** A tick back to epoch milliseconds. */
export const tickToMs = (tick: number): number => EPOCH_MS + tick / 10

/** The score of a job available at `tick` (not leased) after `attempts` attempts. */
export const readyScore = (tick: number, attempts = 0): number => tick * 1000 + attempts

/** The highest score of a job ready at `tick`. */
export const readyMax = (tick: number): number => tick * 1000 + 999

/** Parts of a score. */
export function parseScore(score: number): { tick: number; leased: boolean; attempts: number } {
  return { tick: Math.floor(score / 1000), leased: Math.floor(score / 100) % 10 === 1, attempts: score % 100 }
}
