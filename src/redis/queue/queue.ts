import { randomUUID } from 'node:crypto'
import type { Redis } from '@upstash/redis'
import { z } from 'zod'
import { resolveContext, type ContextSource, type RedisContext } from '../core/context'
import { optionsObjectError, parseInput } from '../core/helper-input'
import { nowTick, parseScore, queueScripts, readyMax, readyScore, tickToMs } from './scripts'
import { withOperationBudget } from '../core/budget'
import { withRedis, type WithRedisOptions } from '../core/run'
import { decodeJson, encodeJson } from '../core/serialize'

/**
 * Job queues over the REST API (no blocking connection), BullMQ-style but polled:
 *  - the seed's `push` / `pop` / `length` (FIFO; `pop` removes the job: at-most-once), and
 *  - at-least-once processing for workers: `reserve` leases the next job for a visibility timeout,
 *    `ack` completes it, `fail` retries it with exponential backoff and dead-letters it after
 *    `maxAttempts`; a lease that expires (the worker died) is taken back by the next reserve.
 * Billed Upstash commands (a script = 1 + each command inside): push 2, reserve 4 (1 on an empty
 * queue), ack 2: 8 per job. A push with a `group` (e.g. a cabinet) costs 4 (a script; 3 when the id is
 * already queued): 10 per job. Groups make one queue fair: a group's queued jobs are spaced
 * `groupSlotMs` apart in the queue's order, so another group's job pushed during a burst lands
 * after one or two of the burst's jobs, not after all of them. Layout and scores: queue-scripts.ts. Failure: Redis unreachable →
 * RedisUnavailableError, REDIS_ENABLED=false → RedisDisabledError; a job is never silently dropped.
 */
export interface Queue {
  /**
   * Appends a job (or schedules it `delayMs` later); returns its id. 2 commands, one round trip; with
   * `group`, 4 (a script; 3 for an id already queued).
   */
  push<T>(name: string, data: T, options?: PushOptions): Promise<string>
  /**
   * Removes and returns the oldest ready job, or null when there is none. 1 command when empty, else 5.
   * At-most-once: a process that dies after pop loses the job. Workers should use reserve/ack.
   */
  pop<T = unknown>(name: string): Promise<T | null>
  /** Jobs ready to be taken now (waiting + delayed ones already due). 3 commands (the stats script). */
  length(name: string): Promise<number>
  /** Leases the oldest ready job for `visibilityTimeoutMs`, or null when there is none. 1 command when empty, else 4. */
  reserve<T = unknown>(name: string, options?: ReserveOptions): Promise<ReservedJob<T> | null>
  /**
   * Completes a reserved job: 2 commands, one round trip. false when there was nothing left to
   * complete (another worker already completed it after this lease expired). A late ack of an
   * expired lease still completes the job: its work was done.
   */
  ack(name: string, job: Lease): Promise<boolean>
  /** Reports a failed attempt: retried after a backoff, or dead-lettered when out of attempts (or `giveUp`). 4-8 commands (a script). */
  fail(name: string, job: Lease, error?: unknown, options?: { giveUp?: boolean }): Promise<FailResult>
  /** Heartbeat for long jobs: pushes the lease deadline `visibilityTimeoutMs` from now. null when the lease was lost. 3 commands. */
  extend(name: string, job: Lease, visibilityTimeoutMs?: number): Promise<number | null>
  /** Counts by state. 3 commands (reads every job's score inside the script). */
  stats(name: string): Promise<QueueStats>
  /** The newest dead-lettered jobs, with their last error and attempts. 2 commands. */
  deadLetters<T = unknown>(name: string, limit?: number): Promise<DeadJob<T>[]>
  /** Puts a dead job back in the waiting list with a fresh set of attempts; false when it is not dead. A script, 5 commands. */
  retryDead(name: string, id: string): Promise<boolean>
}

/** Per-queue behaviour; defaults in DEFAULT_QUEUE_OPTIONS. */
export interface QueueSettings {
  /** Attempts before a job is dead-lettered (a reserve counts as an attempt); at most 99. */
  maxAttempts: number
  /** Backoff before retry n is backoffMs × 2^(n-1)… */
  backoffMs: number
  /** …capped at maxBackoffMs. */
  maxBackoffMs: number
  /** Largest payload accepted, in bytes of JSON. */
  maxPayloadBytes: number
  /** Lease length of a reserved job when reserve() does not say. */
  visibilityTimeoutMs: number
  /** Dead jobs kept per queue; the oldest are deleted beyond this. */
  deadLetterLimit: number
  /**
   * Fairness between groups (PushOptions.group): a group's next job is placed this long after its
   * previous one in the queue's order (as if pushed that much later). Larger = closer to strict
   * round-robin between groups. Ungrouped jobs are ordered by push time, as ever.
   */
  groupSlotMs: number
  /**
   * How far back a group's jobs can be placed: a group's first job is ordered as if pushed this long
   * ago, so it goes before the other groups' backlogs (their later jobs), yet is ready at once. A
   * group holding more than groupWindowMs / groupSlotMs jobs has the rest ordered by push time.
   * Jobs retried or reclaimed after an expired lease are ordered by when they are due (after groups' backlogs).
   */
  groupWindowMs: number
}

export interface QueueOptions extends Partial<QueueSettings> {
  /** Overrides for particular queues, e.g. `{ 'ai-analysis-queue': { maxAttempts: 5 } }`. */
  queues?: Record<string, Partial<QueueSettings>>
}

export interface PushOptions {
  /**
   * The job's id (default: a random UUID). Pushing an id that is still in the queue (waiting,
   * delayed, in flight or dead) does nothing, so a caller can retry a push safely: e.g. the id of
   * the database row the job is about.
   */
  jobId?: string
  /** Make the job visible this many ms from now (server time). */
  delayMs?: number
  maxAttempts?: number
  backoffMs?: number
  /**
   * Who the job is for (e.g. a cabinet id): jobs of different groups share the queue fairly (see
   * QueueSettings.groupSlotMs), so one group's burst delays another group's job by about one job.
   * Ignored with delayMs (a delayed job is ordered by when it is due). Letters, digits, `:_.-`.
   */
  group?: string
}

export interface ReserveOptions {
  visibilityTimeoutMs?: number
}

/** What ack/fail/extend need: the job id and the token of this particular lease. */
export interface Lease {
  id: string
  /** Which attempt this lease is for: a lease taken back and given to another worker has another. */
  leaseToken: string
}

export interface ReservedJob<T> extends Lease {
  queue: string
  data: T
  /** This attempt's number, starting at 1. */
  attempts: number
  maxAttempts: number
  /** Server time (ms since epoch) at which the lease expires and the job is redelivered. */
  leaseExpiresAt: number
  /** The lease length this reserve used (what a heartbeat should extend by). */
  visibilityTimeoutMs: number
  /** Server time the job was pushed. */
  createdAt: number
  /** Why the previous attempt failed, if it did. */
  lastError: string | null
}

export type FailResult =
  | { status: 'retry'; attempts: number; retryAt: number; delayMs: number }
  | { status: 'dead'; attempts: number }
  /** The lease was lost (expired and reclaimed, or already acked): nothing changed. */
  | { status: 'stale' }

export interface QueueStats {
  /** Ready to be taken now (including delayed jobs already due). */
  waiting: number
  /** Leased to a worker (including leases that expired and are not reclaimed yet). */
  inFlight: number
  /** Scheduled for later (delayed pushes and retries in backoff). */
  delayed: number
  dead: number
}

export interface DeadJob<T> {
  id: string
  data: T
  attempts: number
  error: string | null
  /** Server time it was dead-lettered. */
  failedAt: number | null
  createdAt: number | null
}

export const DEFAULT_QUEUE_OPTIONS: QueueSettings = {
  maxAttempts: 3,
  backoffMs: 1_000,
  maxBackoffMs: 15 * 60_000,
  maxPayloadBytes: 256 * 1024,
  visibilityTimeoutMs: 30_000,
  deadLetterLimit: 1_000,
  groupSlotMs: 60_000,
  groupWindowMs: 30 * 24 * 3600_000,
}

const ms = (max: number) => z.number({ error: 'expected a number of milliseconds' }).int('expected whole milliseconds').min(0, 'must not be negative').max(max, `must be at most ${max}`)
const positive = (max: number) => z.number({ error: 'expected a number' }).int('expected a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`)
const DAY = 24 * 3600_000

// Strict objects: an unknown option (a typo such as `retries`) is an error, not silently ignored.
const settingsSchema = z.strictObject(
  {
    maxAttempts: positive(99),
    backoffMs: ms(DAY),
    maxBackoffMs: ms(7 * DAY),
    maxPayloadBytes: positive(10 * 1024 * 1024),
    visibilityTimeoutMs: positive(DAY),
    deadLetterLimit: positive(1_000_000),
    groupSlotMs: positive(DAY),
    groupWindowMs: positive(365 * DAY),
  },
  optionsObjectError,
)
const optionsSchema = settingsSchema.partial().extend({ queues: z.record(z.string(), settingsSchema.partial(), { error: 'expected an object of settings per queue name' }).optional() })
const pushOptionsSchema = z.strictObject(
  {
    jobId: z.string({ error: 'expected a string' }).regex(/^[A-Za-z0-9:_.-]{1,128}$/, 'expected 1-128 letters, digits, ":", "_", "." or "-"').optional(),
    delayMs: ms(365 * DAY).optional(), maxAttempts: positive(99).optional(), backoffMs: ms(DAY).optional(),
    group: z.string({ error: 'expected a string' }).regex(/^[A-Za-z0-9:_.-]{1,128}$/, 'expected 1-128 letters, digits, ":", "_", "." or "-"').optional(),
  },
  optionsObjectError,
)
const reserveOptionsSchema = z.strictObject({ visibilityTimeoutMs: positive(DAY).optional() }, optionsObjectError)

/** Letters, digits and `:_.-`; no braces, which would break the queue's hash tag. */
const queueNameSchema = z
  .string({ error: 'expected a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9:_.-]{0,127}$/, 'expected 1-128 letters, digits, ":", "_", "." or "-", starting with a letter or digit')

const idSchema = z.string({ error: 'expected a string' }).min(1, 'must not be empty')
const leaseSchema = z.object({ id: idSchema, leaseToken: idSchema }, { error: 'expected the job returned by reserve()' })

/** Ready jobs read per reserve, to spread concurrent workers over them. */
const CANDIDATES = 8

/** The queue's keys, all tagged `{name}` so they share one cluster slot (see queue-scripts.ts for each one's role). */
const KEY_PARTS = ['jobs', 'data', 'dead'] as const

export function createQueue(source: ContextSource, options: QueueOptions = {}): Queue {
  const { queues: perQueue = {}, ...base } = parseInput(optionsSchema, options, 'createQueue: options')
  const settingsFor = (name: string): QueueSettings => ({ ...DEFAULT_QUEUE_OPTIONS, ...base, ...perQueue[name] })
  /** Queue name → until when reserves here spread over the candidates (another worker took one first). */
  const contended = new Map<string, number>()
  /** Queue name → takes of this process in flight (where a contended take starts among the candidates). */
  const takesInFlight = new Map<string, number>()

  /**
   * Validates the name, then runs `fn`, ONE round trip, with the client and the queue's keys. One:
   * withRedis stops waiting for `fn` when a budget runs out, and a loop inside it would go on sending
   * (a claim nobody receives) after its caller was told Redis is unavailable.
   */
  async function run<T>(op: string, name: string, fn: (redis: Redis, keys: QueueKeys) => Promise<T>, options?: WithRedisOptions): Promise<T> {
    const ctx: RedisContext = resolveContext(source)
    parseInput(queueNameSchema, name, `queue.${op}: name`)
    const [jobs, data, dead] = ctx.keys.slotKeys('queue', name, KEY_PARTS)
    return withRedis(ctx, `queue.${op}`, (redis) => fn(redis, { jobs, data, dead, all: [jobs, data, dead] }), options)
  }

  /**
   * The oldest ready job taken by this caller: one plain ZRANGEBYSCORE finds a candidate (all an
   * empty queue costs), then the claim script takes it unless another worker was faster (retry).
   */
  async function take(op: string, name: string, pop: boolean, visibilityTimeoutMs: number): Promise<{ id: string; record: string; score: number } | null> {
    const s = settingsFor(name)
    // Its round trips (a read, then claims until one wins) share one budget (REDIS_TIMEOUT_MS, or the request's):
    // each is its own withRedis call, so once the budget is spent no further claim is sent.
    const place = takesInFlight.get(name) ?? 0
    takesInFlight.set(name, place + 1)
    return withOperationBudget(resolveContext(source).config.timeoutMs, async () => {
      for (let round = 0; round < 20; round++) {
        const tick = nowTick()
        // A few of the oldest ready jobs: the first is tried first (FIFO); when another worker takes
        // it first, the next try picks another candidate at random instead of reading again.
        const flat = (await run(op, name, (redis, k) => redis.zrange(k.jobs, '-inf', readyMax(tick), { byScore: true, offset: 0, count: CANDIDATES, withScores: true }))) as (string | number)[]
        const candidates: [string, string][] = []
        for (let i = 0; i + 1 < flat.length; i += 2) candidates.push([String(flat[i]), String(flat[i + 1])])
        if (candidates.length === 0) return null
        // While workers of this process have been colliding, each concurrent take starts at its own place
        // (the k-th take in flight tries the k-th oldest; not a random pick, so the order stays nearly
        // FIFO and a job that group fairness placed second is taken second); a loser then tries at random.
        const spread = (contended.get(name) ?? 0) > Date.now()
        for (let tries = 0; candidates.length > 0 && tries < CANDIDATES; tries++) {
          const pick = tries > 0 ? Math.floor(Math.random() * candidates.length) : spread ? Math.min(place, candidates.length - 1) : 0
          const [id, score] = candidates.splice(pick, 1)[0]!
          const leaseTick = tick + visibilityTimeoutMs * 10
          // Once sent, the claim's answer is waited for even past the budget: a claim nobody receives would
          // lose a popped job, or lease a reserved one to nobody (its attempt spent).
          const reply = (await run(
            op,
            name,
            (redis, k) => queueScripts(redis).claim.exec(k.all, [id, score, String(leaseTick * 1000 + 100), String(Date.now()), String(s.deadLetterLimit), pop ? '1' : '0']),
            { waitOnceSent: true },
          )) as [string, string?, string?]
          if (reply[0] === 'ok') return { id, record: reply[1]!, score: Number(reply[2]) }
          // 'taken' (another worker won), 'gone', 'dead' (its lease expired on the last attempt): try another.
          if (reply[0] === 'taken') contended.set(name, Date.now() + 1000)
        }
      }
      return null
    }).finally(() => {
      const left = (takesInFlight.get(name) ?? 1) - 1
      if (left > 0) takesInFlight.set(name, left)
      else takesInFlight.delete(name)
    })
  }

  const checkName = (op: string, name: string) => parseInput(queueNameSchema, name, `queue.${op}: name`)

  async function stats(name: string): Promise<QueueStats> {
    const [waiting, inFlight, delayed, dead] = (await run('stats', name, (redis, k) => queueScripts(redis).stats.exec(k.all, [String(readyMax(nowTick()))]))) as number[]
    return { waiting: Number(waiting), inFlight: Number(inFlight), delayed: Number(delayed), dead: Number(dead) }
  }

  return {
    async push(name, data, pushOptions = {}) {
      checkName('push', name)
      const opts = parseInput(pushOptionsSchema, pushOptions, 'queue.push: options')
      const s = settingsFor(name)
      const payload = encodeJson(data, 'queue.push: data', s.maxPayloadBytes)
      // The id is known before the call, so a push retried after a lost answer is recognised and not queued twice.
      const id = opts.jobId ?? randomUUID()
      const meta = { m: opts.maxAttempts ?? s.maxAttempts, b: opts.backoffMs ?? s.backoffMs, x: s.maxBackoffMs, c: Date.now() }
      if (opts.group !== undefined && !opts.delayMs) {
        // The group's place needs its previous one, read and written with the job in one script (atomic:
        // concurrent pushes of one group never share a place).
        const record = `${JSON.stringify(meta)}\n${payload}`
        await run('push', name, (redis, k) => queueScripts(redis).pushGrouped.exec(k.all, [id, record, opts.group!, String(nowTick()), String(s.groupSlotMs * 10), String(s.groupWindowMs * 10)]))
        return id
      }
      const score = readyScore(nowTick() + (opts.delayMs ?? 0) * 10)
      // Both are no-ops for an id already queued (waiting, delayed, leased or dead); the data first, so
      // a reserve never sees an id without it. If only the first lands, a retried push adds the second.
      await run('push', name, (redis, k) =>
        redis.pipeline().hsetnx(k.data, id, `${JSON.stringify(meta)}\n${payload}`).zadd(k.jobs, { nx: true }, { score, member: id }).exec(),
      )
      return id
    },

    async pop<T>(name: string) {
      const taken = await take('pop', name, true, 0)
      return taken ? (decodeJson<T>(splitRecord(taken.record).payload) as T) : null
    },

    async length(name) {
      return (await stats(name)).waiting
    },

    async reserve<T>(name: string, reserveOptions: ReserveOptions = {}) {
      checkName('reserve', name)
      const opts = parseInput(reserveOptionsSchema, reserveOptions, 'queue.reserve: options')
      const visibilityTimeoutMs = opts.visibilityTimeoutMs ?? settingsFor(name).visibilityTimeoutMs
      const taken = await take('reserve', name, false, visibilityTimeoutMs)
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
        lastError: attempts <= 1 ? null : meta.r === attempts - 1 ? (meta.e ?? null) : `lease expired after attempt ${attempts - 1} (the worker did not ack in time)`,
      }
    },

    async ack(name, job) {
      checkName('ack', name)
      const lease = parseInput(leaseSchema, job, 'queue.ack: job')
      const [removed] = (await run('ack', name, (redis, k) => redis.pipeline().zrem(k.jobs, lease.id).hdel(k.data, lease.id).exec())) as [number, number]
      return removed === 1
    },

    async fail(name, job, error, failOptions = {}) {
      checkName('fail', name)
      const lease = parseInput(leaseSchema, job, 'queue.fail: job')
      const s = settingsFor(name)
      const reply = (await run('fail', name, (redis, k) =>
        queueScripts(redis).fail.exec(k.all, [lease.id, lease.leaseToken, describeError(error), String(s.deadLetterLimit), failOptions.giveUp ? '1' : '0', String(nowTick()), String(Date.now())]),
      )) as [string, number, string?, number?] | null
      if (!reply) return { status: 'stale' }
      const [status, attempts, retryAt, delayMs] = reply
      if (status === 'dead') return { status: 'dead', attempts: Number(attempts) }
      return { status: 'retry', attempts: Number(attempts), retryAt: Number(retryAt), delayMs: Number(delayMs) }
    },

    async extend(name, job, visibilityTimeoutMs) {
      checkName('extend', name)
      const lease = parseInput(leaseSchema, job, 'queue.extend: job')
      const vis = parseInput(positive(DAY).optional(), visibilityTimeoutMs, 'queue.extend: visibilityTimeoutMs') ?? settingsFor(name).visibilityTimeoutMs
      const leaseTick = nowTick() + vis * 10
      const ok = await run('extend', name, (redis, k) => queueScripts(redis).extend.exec(k.all, [lease.id, lease.leaseToken, String(leaseTick)]))
      return ok === 1 ? tickToMs(leaseTick) : null
    },

    stats,

    async deadLetters<T>(name: string, limit = 50) {
      checkName('deadLetters', name)
      parseInput(positive(10_000), limit, 'queue.deadLetters: limit')
      return run('deadLetters', name, async (redis, k) => {
        const ids = await redis.lrange(k.dead, 0, limit - 1)
        if (ids.length === 0) return []
        // Without automatic deserialisation the client answers HMGET as an array, in the order asked.
        const records = ((await redis.hmget(k.data, ...ids)) ?? []) as unknown as (string | null)[] | Record<string, string | null>
        const out: DeadJob<T>[] = []
        for (const [i, id] of ids.entries()) {
          const rec = Array.isArray(records) ? records[i] : records[id]
          if (typeof rec !== 'string') continue
          const { meta, payload } = splitRecord(rec)
          out.push({ id, data: decodeJson<T>(payload) as T, attempts: meta.r ?? 0, error: meta.e ?? null, failedAt: meta.f ?? null, createdAt: meta.c ?? null })
        }
        return out
      })
    },

    async retryDead(name, id) {
      checkName('retryDead', name)
      parseInput(idSchema, id, 'queue.retryDead: id')
      return (await run('retryDead', name, (redis, k) => queueScripts(redis).retryDead.exec(k.all, [id, String(nowTick())]))) === 1
    },
  }
}

interface QueueKeys {
  jobs: string
  data: string
  dead: string
  all: string[]
}

interface JobMeta {
  m: number
  b: number
  x: number
  c: number
  e?: string
  r?: number
  f?: number
}

/** A stored record: the meta JSON line, then the payload exactly as pushed. */
function splitRecord(record: string): { meta: JobMeta; payload: string } {
  const nl = record.indexOf('\n')
  return { meta: JSON.parse(record.slice(0, nl)) as JobMeta, payload: record.slice(nl + 1) }
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
