import { defineQueueScript } from './runner'

/**
 * A heartbeat: moves the lease's deadline, if the caller still holds the lease.
 *
 * KEYS: jobs, data, dead (runner.ts)
 * ARGV: id, attempt (the lease token), lease_tick (the new deadline)
 * Returns 1, or false when the lease was lost.
 * Billed: 1 + 2 (ZSCORE, ZADD XX).
 */
const lua = `
local id = ARGV[1]
local attempt = tonumber(ARGV[2])
local lease_tick = tonumber(ARGV[3])

if not holds_lease(id, attempt) then return false end
redis.call('ZADD', K_JOBS, 'XX', int(lease_tick * 1000 + 100 + attempt), id)
return 1
`

export interface ExtendArgs {
  id: string
  leaseToken: string
  /** The new deadline, in ticks (layout.ts). */
  leaseTick: number
}

/** true when the lease was extended, false when it was lost. */
export const extend = defineQueueScript<ExtendArgs, boolean>({
  lua,
  argv: (a) => [a.id, a.leaseToken, a.leaseTick],
  reply: (raw) => raw === 1,
})
