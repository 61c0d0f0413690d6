import { defineQueueScript } from './runner'

/**
 * Takes the job the caller saw ready, if nobody took it first. The check and the move are one
 * ZINCRBY: only the caller whose increment lands on the expected score wins (a loser undoes its step).
 *
 * KEYS: jobs, data, dead (runner.ts)
 * ARGV: id, seen (the score the caller read), lease (the lease's base score, layout's leaseScore),
 *       now_ms, dead_limit, pop ('1': remove the job instead of leasing it)
 * Returns {'ok', record, score} | {'taken'} | {'gone'} | {'dead'} (its lease expired on the last attempt).
 * Billed: 1 + 2 (ZINCRBY, HGET; or ZINCRBY and its undo when another worker won); pop 1 + 3 (ZREM,
 * HGET, HDEL); a lease expired on the last attempt adds the dead-lettering (see fail.ts).
 */
const lua = `
local id = ARGV[1]
local seen = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local now_ms = tonumber(ARGV[4])
local dead_limit = tonumber(ARGV[5])
local pop = ARGV[6] == '1'

local attempts = seen % 100
local target = lease + attempts + 1
if pop then
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
  to_dead(id, meta, payload, 'lease expired after attempt ' .. attempts .. ' (the worker did not ack in time)', attempts, now_ms, dead_limit)
  return {'dead'}
end
return {'ok', rec, int(target)}
`

export interface ClaimArgs {
  id: string
  /** The score the caller read (its attempts are in it). */
  seen: number | string
  /** The lease's base score (layout's leaseScore); ignored when popping. */
  lease: number
  nowMs: number
  deadLetterLimit: number
  /** Remove the job (queue.pop, at-most-once) instead of leasing it. */
  pop: boolean
}

export type ClaimResult = { status: 'ok'; record: string; score: number } | { status: 'taken' | 'gone' | 'dead' }

export const claim = defineQueueScript<ClaimArgs, ClaimResult>({
  lua,
  argv: (a) => [a.id, a.seen, a.lease, a.nowMs, a.deadLetterLimit, a.pop ? '1' : '0'],
  reply: (raw) => {
    const [status, record, score] = raw as [string, string?, string?]
    if (status === 'ok') return { status, record: record!, score: Number(score) }
    return { status: status as 'taken' | 'gone' | 'dead' }
  },
})
