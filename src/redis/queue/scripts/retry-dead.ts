import { defineQueueScript } from './runner'

/**
 * Puts a dead job back, waiting, with a fresh set of attempts.
 *
 * KEYS: jobs, data, dead (runner.ts)
 * ARGV: id, now_tick
 * Returns 1, or 0 when the job is not dead.
 * Billed: 1 + 4 (LREM, HGET, HSET, ZADD); 1 + 1 when it is not dead.
 */
const lua = `
local id = ARGV[1]
local now_tick = tonumber(ARGV[2])

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
redis.call('ZADD', K_JOBS, int(now_tick * 1000), id)
return 1
`

export interface RetryDeadArgs {
  id: string
  nowTick: number
}

/** true when the job was dead and is waiting again. */
export const retryDead = defineQueueScript<RetryDeadArgs, boolean>({
  lua,
  argv: (a) => [a.id, a.nowTick],
  reply: (raw) => Number(raw) === 1,
})
