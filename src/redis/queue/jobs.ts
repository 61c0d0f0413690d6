import { randomUUID } from 'node:crypto'
import { parseInput } from '../core/helper-input'
import { decodeJson, encodeJson } from '../core/serialize'
import { encodeRecord, msToTicks, nowTick, parseScore, readyScore, splitRecord, tickToMs, type JobMeta } from './layout'
import { checkName, runOnQueue, type QueueRuntime } from './runtime'
import { DAY, leaseSchema, positive, pushOptionsSchema, reserveOptionsSchema } from './schemas'
import { extend as extendScript } from './scripts/extend'
import { fail as failScript } from './scripts/fail'
import { pushGrouped } from './scripts/push-grouped'
import { take } from './take'
import type { FailResult, Lease, PushOptions, ReservedJob, ReserveOptions } from './types'

/** The life of one job: push, then pop (at-most-once) or reserve → ack / fail / extend (at-least-once). */

/** queue.push: see Queue.push for its cost. */
export async function push(
  rt: QueueRuntime,
  name: string,
  data: unknown,
  pushOptions: PushOptions = {},
): Promise<string> {
  checkName('push', name)
  const opts = parseInput(pushOptionsSchema, pushOptions, 'queue.push: options')
  const s = rt.settingsFor(name)
  const payload = encodeJson(data, 'queue.push: data', s.maxPayloadBytes)
  // The id is known before the call, so a push retried after a lost answer is recognised and not queued twice.
  const id = opts.jobId ?? randomUUID()
  const meta: JobMeta = {
    m: opts.maxAttempts ?? s.maxAttempts,
    b: opts.backoffMs ?? s.backoffMs,
    x: s.maxBackoffMs,
    c: Date.now(),
  }
  const record = encodeRecord(meta, payload)
  if (opts.group !== undefined && !opts.delayMs) {
    const group = opts.group
    await runOnQueue(rt, { op: 'push', name }, (redis, keys) =>
      pushGrouped(redis, keys, {
        id,
        record,
        group,
        nowTick: nowTick(),
        slotTicks: msToTicks(s.groupSlotMs),
        windowTicks: msToTicks(s.groupWindowMs),
      }),
    )
    return id
  }
  const score = readyScore(nowTick() + msToTicks(opts.delayMs ?? 0))
  // Both are no-ops for an id already queued (waiting, delayed, leased or dead); the data first, so
  // a reserve never sees an id without it. If only the first lands, a retried push adds the second.
  await runOnQueue(rt, { op: 'push', name }, (redis, k) =>
    redis.pipeline().hsetnx(k.data, id, record).zadd(k.jobs, { nx: true }, { score, member: id }).exec(),
  )
  return id
}

/** queue.pop: the oldest ready job, removed. */
export async function pop<T>(rt: QueueRuntime, name: string): Promise<T | null> {
  const taken = await take(rt, { op: 'pop', name, pop: true, visibilityTimeoutMs: 0 })
  return taken ? (decodeJson<T>(splitRecord(taken.record).payload) as T) : null
}

/** queue.reserve: the oldest ready job, leased for the visibility timeout. */
export async function reserve<T>(
  rt: QueueRuntime,
  name: string,
  reserveOptions: ReserveOptions = {},
): Promise<ReservedJob<T> | null> {
  checkName('reserve', name)
  const opts = parseInput(reserveOptionsSchema, reserveOptions, 'queue.reserve: options')
  const visibilityTimeoutMs = opts.visibilityTimeoutMs ?? rt.settingsFor(name).visibilityTimeoutMs
  const taken = await take(rt, { op: 'reserve', name, pop: false, visibilityTimeoutMs })
  if (!taken) return null
  const { meta, payload } = splitRecord(taken.record)
  const { tick, attempts } = parseScore(taken.score)
  return {
    queue: name,
    id: taken.id,
    leaseToken: String(attempts),
    data: decodeJson<T>(payload) as T,
    attempts,
    maxAttempts: meta.m,
    leaseExpiresAt: tickToMs(tick),
    visibilityTimeoutMs,
    createdAt: meta.c,
    // An attempt that left no error of its own ended by its lease expiring.
    lastError:
      attempts <= 1
        ? null
        : meta.r === attempts - 1
          ? (meta.e ?? null)
          : `lease expired after attempt ${attempts - 1} (the worker did not ack in time)`,
  }
}

/** queue.ack: the job is done; its entry and data go, in one round trip. */
export async function ack(rt: QueueRuntime, name: string, job: Lease): Promise<boolean> {
  checkName('ack', name)
  const lease = parseInput(leaseSchema, job, 'queue.ack: job')
  const [removed] = (await runOnQueue(rt, { op: 'ack', name }, (redis, k) =>
    redis.pipeline().zrem(k.jobs, lease.id).hdel(k.data, lease.id).exec(),
  )) as [number, number]
  return removed === 1
}

/** queue.fail: retried after its backoff, or dead-lettered. */
export async function fail(
  rt: QueueRuntime,
  name: string,
  job: Lease,
  { error, giveUp }: { error?: unknown; giveUp?: boolean } = {},
): Promise<FailResult> {
  checkName('fail', name)
  const lease = parseInput(leaseSchema, job, 'queue.fail: job')
  const s = rt.settingsFor(name)
  return runOnQueue(rt, { op: 'fail', name }, (redis, keys) =>
    failScript(redis, keys, {
      id: lease.id,
      leaseToken: lease.leaseToken,
      error: describeError(error),
      deadLetterLimit: s.deadLetterLimit,
      giveUp: giveUp === true,
      nowTick: nowTick(),
      nowMs: Date.now(),
    }),
  )
}

/** queue.extend: the lease's new deadline, or null when it was lost. */
export async function extend(
  rt: QueueRuntime,
  name: string,
  job: Lease,
  visibilityTimeoutMs?: number,
): Promise<number | null> {
  checkName('extend', name)
  const lease = parseInput(leaseSchema, job, 'queue.extend: job')
  const vis =
    parseInput(positive(DAY).optional(), visibilityTimeoutMs, 'queue.extend: visibilityTimeoutMs') ??
    rt.settingsFor(name).visibilityTimeoutMs
  const leaseTick = nowTick() + msToTicks(vis)
  const ok = await runOnQueue(rt, { op: 'extend', name }, (redis, keys) =>
    extendScript(redis, keys, { id: lease.id, leaseToken: lease.leaseToken, leaseTick }),
  )
  return ok ? tickToMs(leaseTick) : null
}

/** A short, single-line description of why an attempt failed (kept with the job for diagnosis). */
function describeError(error: unknown): string {
  let text: string
  if (error instanceof Error) text = `${error.name}: ${error.message}`
  else if (error === undefined) text = 'failed'
  else text = typeof error === 'string' ? error : safeStringify(error)
  return text.length > 2_000 ? `${text.slice(0, 2_000)}…` : text
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
