import { parseInput } from '../core/helper-input'
import { decodeJson } from '../core/serialize'
import { nowTick, readyMax, splitRecord } from './layout'
import { checkName, runOnQueue, type QueueRuntime } from './runtime'
import { idSchema, positive } from './schemas'
import { cancel as cancelScript } from './scripts/cancel'
import { retryDead as retryDeadScript } from './scripts/retry-dead'
import { stats as statsScript } from './scripts/stats'
import type { DeadJob, QueueStats } from './types'

/** Looking at a queue and acting on jobs other than one's own lease: stats, dead letters, cancel. */

/** queue.stats: counts by state. */
export function stats(rt: QueueRuntime, name: string): Promise<QueueStats> {
  return runOnQueue(rt, { op: 'stats', name }, (redis, keys) =>
    statsScript(redis, keys, { readyMax: readyMax(nowTick()) }),
  )
}

/** queue.deadLetters: the newest dead jobs (LRANGE, then HMGET of their records). */
export async function deadLetters<T>(rt: QueueRuntime, name: string, limit = 50): Promise<DeadJob<T>[]> {
  checkName('deadLetters', name)
  parseInput(positive(10_000), limit, 'queue.deadLetters: limit')
  return runOnQueue(rt, { op: 'deadLetters', name }, async (redis, k) => {
    const ids = await redis.lrange(k.dead, 0, limit - 1)
    if (ids.length === 0) return []
    // Without automatic deserialisation the client answers HMGET as an array, in the order asked.
    const records = ((await redis.hmget(k.data, ...ids)) ?? []) as unknown as
      (string | null)[] | Record<string, string | null>
    const out: DeadJob<T>[] = []
    for (const [i, id] of ids.entries()) {
      const rec = Array.isArray(records) ? records[i] : records[id]
      if (typeof rec !== 'string') continue
      const { meta, payload } = splitRecord(rec)
      out.push({
        id,
        data: decodeJson<T>(payload) as T,
        attempts: meta.r ?? 0,
        error: meta.e ?? null,
        failedAt: meta.f ?? null,
        createdAt: meta.c ?? null,
      })
    }
    return out
  })
}

/** queue.retryDead: a dead job back to waiting, with fresh attempts. */
export async function retryDead(rt: QueueRuntime, name: string, id: string): Promise<boolean> {
  checkName('retryDead', name)
  parseInput(idSchema, id, 'queue.retryDead: id')
  return runOnQueue(rt, { op: 'retryDead', name }, (redis, keys) =>
    retryDeadScript(redis, keys, { id, nowTick: nowTick() }),
  )
}

/** queue.cancel: a waiting or delayed job removed with its data (see Queue.cancel for its cost). */
export async function cancel(rt: QueueRuntime, name: string, jobId: string): Promise<boolean> {
  checkName('cancel', name)
  parseInput(idSchema, jobId, 'queue.cancel: jobId')
  return runOnQueue(rt, { op: 'cancel', name }, (redis, keys) => cancelScript(redis, keys, { id: jobId }))
}
