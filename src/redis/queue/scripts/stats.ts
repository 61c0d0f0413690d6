import { defineQueueScript } from './runner'

/**
 * Counts the queue's jobs by state. Read-only; O(jobs not dead).
 *
 * KEYS: jobs, data, dead (runner.ts)
 * ARGV: ready_max (now's tick × 1000 + 999: the highest score of a ready job)
 * Returns {waiting, in_flight, delayed, dead}.
 * Billed: 1 + 2 (ZRANGEBYSCORE, LLEN).
 */
const lua = `
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

export interface StatsArgs {
  /** layout's readyMax(nowTick()). */
  readyMax: number
}

export interface StatsReply {
  waiting: number
  inFlight: number
  delayed: number
  dead: number
}

export const stats = defineQueueScript<StatsArgs, StatsReply>({
  lua,
  argv: (a) => [a.readyMax],
  reply: (raw) => {
    const [waiting, inFlight, delayed, dead] = raw as number[]
    return { waiting: Number(waiting), inFlight: Number(inFlight), delayed: Number(delayed), dead: Number(dead) }
  },
})
