import { defineQueueScript } from './runner'

/**
 * A push with a group: the group's place is read and written with the job in one script, so
 * concurrent pushes of one group never share a place (layout.ts explains the place).
 *
 * KEYS: jobs, data, dead (runner.ts)
 * ARGV: id, record, group, now (tick), slot (ticks between a group's jobs), window (ticks a group's
 *       first job may go back)
 * Returns 1 when queued, 0 when the id was already in the queue (nothing changes).
 * Billed: 1 + 3 (HGET, ZADD NX, HSET); 1 + 2 for an id already queued.
 */
const lua = `
local id = ARGV[1]
local record = ARGV[2]
local field = '~g:' .. ARGV[3]
local now = tonumber(ARGV[4])
local slot = tonumber(ARGV[5])
local window = tonumber(ARGV[6])

local at = now - window
local last = tonumber(redis.call('HGET', K_DATA, field))
if last and last + slot > at then at = last + slot end
if at > now then at = now end
if at < 0 then at = 0 end
if redis.call('ZADD', K_JOBS, 'NX', int(at * 1000), id) == 0 then return 0 end
redis.call('HSET', K_DATA, id, record, field, int(at))
return 1
`

export interface PushGroupedArgs {
  id: string
  /** The stored record (layout's encodeRecord). */
  record: string
  group: string
  nowTick: number
  slotTicks: number
  windowTicks: number
}

/** true when queued, false when the id was already there. */
export const pushGrouped = defineQueueScript<PushGroupedArgs, boolean>({
  lua,
  argv: (a) => [a.id, a.record, a.group, a.nowTick, a.slotTicks, a.windowTicks],
  reply: (raw) => Number(raw) === 1,
})
