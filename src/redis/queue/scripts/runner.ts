import type { Redis } from '@upstash/redis'
import { reportScriptCommands } from '../../core/billing'
import type { QueueKeys } from '../layout'

/**
 * How the queue's Lua scripts run (the layout they work on: ../layout.ts). Each script is one file
 * beside this one, with its KEYS / ARGV / returns in a header and a typed function to call it.
 *
 * Every script counts the commands it runs and answers {count, result}; the runner strips the count
 * and reports it (core/billing.ts), so the usage meter on /status bills a script as Upstash does.
 * Counting is Lua arithmetic: no extra command. A script that fails half-way reports nothing (none
 * of ours do).
 */
const counter = `
local billed = 0
local server = redis
-- Redis 7 makes the global redis table read-only: a local of the same name shadows it for all below.
local redis = setmetatable({ call = function(...) billed = billed + 1 return server.call(...) end }, { __index = server })
`

/** What every queue script starts with: its keys by name, and the helpers several scripts share. */
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

-- Whether the job is leased, at the attempt the caller's lease is for (1 command: ZSCORE).
local function holds_lease(id, attempt)
  local score = tonumber(redis.call('ZSCORE', K_JOBS, id))
  return score ~= nil and score ~= math.huge and score % 100 == attempt and math.floor(score / 100) % 10 == 1
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

/** A script body (which may return anywhere) run after the counter and the prelude, answering {count, result}. */
const counted = (body: string) => `${counter}${prelude}
local function main()
${body}
end
local result = main()
return {billed, result}
`

/** One queue script: its Lua body, how its named arguments become ARGV, how its reply is read. */
export interface ScriptSpec<Args, Reply> {
  /** The body, run inside a function after the prelude (it may `return` anywhere). */
  lua: string
  /** ARGV, in the order the body's locals read it. */
  argv(args: Args): (string | number)[]
  /** The script's own result (a Lua false or nil as null) as the caller's type. */
  reply(raw: unknown): Reply
}

/** A typed script call: the client, the queue's keys, the named arguments. One round trip. */
export type QueueScript<Args, Reply> = (redis: Redis, keys: QueueKeys, args: Args) => Promise<Reply>

/**
 * Binds a script: EVALSHA, falling back to EVAL once per server when the script is not loaded yet
 * (@upstash/redis's Script); one Script per client, so its SHA-1 is computed once.
 */
export function defineQueueScript<Args, Reply>(spec: ScriptSpec<Args, Reply>): QueueScript<Args, Reply> {
  const source = counted(spec.lua)
  const perClient = new WeakMap<Redis, ReturnType<Redis['createScript']>>()
  return async (redis, keys, args) => {
    let script = perClient.get(redis)
    if (!script) {
      script = redis.createScript(source)
      perClient.set(redis, script)
    }
    const argv = spec.argv(args).map(String)
    const [billed, result] = (await script.exec([keys.jobs, keys.data, keys.dead], argv)) as [number, unknown?]
    reportScriptCommands(Number(billed))
    return spec.reply(result ?? null)
  }
}
