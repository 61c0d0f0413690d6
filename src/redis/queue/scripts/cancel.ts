import { defineQueueScript } from './runner'

/**
 * Removes a job no worker holds (waiting or delayed) and its data. A leased job is being worked on
 * and a dead one is kept for inspection: both are left as they are.
 *
 * KEYS: jobs, data, dead (runner.ts)
 * ARGV: id
 * Returns 1 when removed, 0 when there was no such waiting or delayed job.
 * Billed: 1 + 3 (ZSCORE, ZREM, HDEL); 1 + 1 when there was none.
 */
const lua = `
local id = ARGV[1]

local score = tonumber(redis.call('ZSCORE', K_JOBS, id))
if not score or score == math.huge or math.floor(score / 100) % 10 == 1 then return 0 end
redis.call('ZREM', K_JOBS, id)
redis.call('HDEL', K_DATA, id)
return 1
`

export interface CancelArgs {
  id: string
}

/** true when a waiting or delayed job was removed. */
export const cancel = defineQueueScript<CancelArgs, boolean>({
  lua,
  argv: (a) => [a.id],
  reply: (raw) => Number(raw) === 1,
})
