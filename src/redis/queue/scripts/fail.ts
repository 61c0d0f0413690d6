import { defineQueueScript } from './runner'

/**
 * A failed attempt: the job waits out its backoff (retried later), or is dead-lettered when it has no
 * attempt left or the caller gives up. Nothing changes when the caller's lease was lost.
 *
 * KEYS: jobs, data, dead (runner.ts)
 * ARGV: id, attempt (the lease token), err (why it failed), dead_limit, give_up ('1'), now_tick, now_ms
 * Returns {'retry', attempts, due_at_ms, delay_ms} | {'dead', attempts} | false (lease lost).
 * Billed: 1 + 4 (ZSCORE, HGET, HSET, ZADD) to retry; 1 + 6 (ZSCORE, HGET, ZADD, HSET, LPUSH, LLEN) to
 * dead-letter, + 4 per old dead job trimmed; 1 + 1 when the lease was lost.
 */
const lua = `
local id = ARGV[1]
local attempt = tonumber(ARGV[2])
local err = ARGV[3]
local dead_limit = tonumber(ARGV[4])
local give_up = ARGV[5] == '1'
local now_tick = tonumber(ARGV[6])
local now_ms = tonumber(ARGV[7])

if not holds_lease(id, attempt) then return false end
local meta, payload = split(redis.call('HGET', K_DATA, id))
if attempt >= meta.m or give_up then
  to_dead(id, meta, payload, err, attempt, now_ms, dead_limit)
  return {'dead', attempt}
end
local delay = math.floor(math.min(meta.b * 2 ^ (attempt - 1), meta.x))
meta.e = err
meta.r = attempt
redis.call('HSET', K_DATA, id, cjson.encode(meta) .. '\\n' .. payload)
redis.call('ZADD', K_JOBS, int((now_tick + delay * 10) * 1000 + attempt), id)
return {'retry', attempt, int(now_ms + delay), delay}
`

export interface FailArgs {
  id: string
  /** The lease token (the attempt it is for). */
  leaseToken: string
  /** Why the attempt failed, kept with the job. */
  error: string
  deadLetterLimit: number
  giveUp: boolean
  nowTick: number
  nowMs: number
}

export type FailReply =
  | { status: 'retry'; attempts: number; retryAt: number; delayMs: number }
  | { status: 'dead'; attempts: number }
  | { status: 'stale' }

export const fail = defineQueueScript<FailArgs, FailReply>({
  lua,
  argv: (a) => [a.id, a.leaseToken, a.error, a.deadLetterLimit, a.giveUp ? '1' : '0', a.nowTick, a.nowMs],
  reply: (raw) => {
    if (!raw) return { status: 'stale' }
    const [status, attempts, retryAt, delayMs] = raw as [string, number, string?, number?]
    if (status === 'dead') return { status: 'dead', attempts: Number(attempts) }
    return { status: 'retry', attempts: Number(attempts), retryAt: Number(retryAt), delayMs: Number(delayMs) }
  },
})
