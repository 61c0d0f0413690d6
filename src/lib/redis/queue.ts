import { randomBytes, randomUUID } from 'node:crypto'
import { z } from 'zod'
import { resolveContext, type ContextSource, type RedisContext } from './context'
import { parseInput } from './helper-input'
import { queueScripts, type QueueScriptName } from './queue-scripts'
import { withRedis } from './run'
import { decodeJson, encodeJson } from './serialize'

/**
 * Job queues over the REST API (no blocking connection), BullMQ-style but polled:
 *  - the seed's `push` / `pop` / `length` (FIFO; `pop` removes the job: at-most-once), and
 *  - at-least-once processing for workers: `reserve` leases the next job for a visibility timeout,
 *    `ack` completes it, `fail` retries it with exponential backoff and dead-letters it after
 *    `maxAttempts`; a lease that expires (the worker died) is reclaimed by the next reserve/pop.
 * Every call is one Lua script (EVALSHA: 1 command, atomic). Failure: Redis unreachable →
 * RedisUnavailableError, REDIS_ENABLED=false → RedisDisabledError; a job is never silently dropped.
 */
export interface Queue {
  /** Appends a job (or schedules it `delayMs` later); returns its id. 1 command. */
  push<T>(name: string, data: T, options?: PushOptions): Promise<string>
  /**
   * Removes and returns the oldest ready job, or null when there is none. 1 command.
   * At-most-once: a process that dies after pop loses the job. Workers should use reserve/ack.
   */
  pop<T = unknown>(name: string): Promise<T | null>
  /** Jobs ready to be taken now (waiting + delayed ones already due). 1 command. */
  length(name: string): Promise<number>
  /** Leases the oldest ready job for `visibilityTimeoutMs`, or null when there is none. 1 command. */
  reserve<T = unknown>(name: string, options?: ReserveOptions): Promise<ReservedJob<T> | null>
  /** Completes a reserved job. false when the lease was lost (expired and reclaimed): the job is not yours anymore. 1 command. */
  ack(name: string, job: Lease): Promise<boolean>
  /** Reports a failed attempt: retried after a backoff, or dead-lettered when out of attempts (or `giveUp`). 1 command. */
  fail(name: string, job: Lease, error?: unknown, options?: { giveUp?: boolean }): Promise<FailResult>
  /** Heartbeat for long jobs: pushes the lease deadline `visibilityTimeoutMs` from now. null when the lease was lost. 1 command. */
  extend(name: string, job: Lease, visibilityTimeoutMs?: number): Promise<number | null>
  /** Counts by state. 1 command. */
  stats(name: string): Promise<QueueStats>
  /** The newest dead-lettered jobs, with their last error and attempts. 1 command. */
  deadLetters<T = unknown>(name: string, limit?: number): Promise<DeadJob<T>[]>
  /** Puts a dead job back in the waiting list with a fresh set of attempts; false when it is not dead. 1 command. */
  retryDead(name: string, id: string): Promise<boolean>
}

/** Per-queue behaviour; defaults in DEFAULT_QUEUE_OPTIONS. */
export interface QueueSettings {
  /** Attempts before a job is dead-lettered (a reserve counts as an attempt). */
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
}

export interface ReserveOptions {
  visibilityTimeoutMs?: number
}

/** What ack/fail/extend need: the job id and the token of this particular lease. */
export interface Lease {
  id: string
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
}

const ms = (max: number) => z.number({ error: 'expected a number of milliseconds' }).int('expected whole milliseconds').min(0, 'must not be negative').max(max, `must be at most ${max}`)
const positive = (max: number) => z.number({ error: 'expected a number' }).int('expected a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`)
const DAY = 24 * 3600_000

const settingsSchema = z
  .object({
    maxAttempts: positive(1_000),
    backoffMs: ms(DAY),
    maxBackoffMs: ms(7 * DAY),
    maxPayloadBytes: positive(10 * 1024 * 1024),
    visibilityTimeoutMs: positive(DAY),
    deadLetterLimit: positive(1_000_000),
  })
  .strict()
const optionsSchema = settingsSchema.partial().extend({ queues: z.record(z.string(), settingsSchema.partial()).optional() }).strict()
const pushOptionsSchema = z
  .object({
    jobId: z.string().regex(/^[A-Za-z0-9:_.-]{1,128}$/, 'expected 1-128 letters, digits, ":", "_", "." or "-"').optional(),
    delayMs: ms(365 * DAY).optional(), maxAttempts: positive(1_000).optional(), backoffMs: ms(DAY).optional() })
  .strict()
const reserveOptionsSchema = z.object({ visibilityTimeoutMs: positive(DAY).optional() }).strict()

/** Letters, digits and `:_.-`; no braces, which would break the queue's hash tag. */
const queueNameSchema = z
  .string({ error: 'expected a string' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9:_.-]{0,127}$/, 'expected 1-128 letters, digits, ":", "_", "." or "-", starting with a letter or digit')

const leaseSchema = z.object({ id: z.string().min(1, 'must not be empty'), leaseToken: z.string().min(1, 'must not be empty') }, { error: 'expected the job returned by reserve()' })

/** The queue's keys, all tagged `{name}` so they share one cluster slot (see queue-scripts.ts for each one's role). */
const KEY_PARTS = ['waiting', 'delayed', 'inflight', 'data', 'meta', 'dead'] as const

export function createQueue(source: ContextSource, options: QueueOptions = {}): Queue {
  const { queues: perQueue = {}, ...base } = parseInput(optionsSchema, options, 'queue options')
  const settingsFor = (name: string): QueueSettings => ({ ...DEFAULT_QUEUE_OPTIONS, ...base, ...perQueue[name] })

  /** Validates the name, then runs one script against the queue's keys. */
  async function run(op: string, script: QueueScriptName, name: string, args: (string | number)[]): Promise<unknown> {
    const ctx: RedisContext = resolveContext(source)
    parseInput(queueNameSchema, name, `queue.${op}: name`)
    const keys = [...ctx.keys.slotKeys('queue', name, KEY_PARTS)]
    return withRedis(ctx, `queue.${op}`, (redis) => queueScripts(redis)[script].exec(keys, args.map(String)))
  }

  const checkName = (op: string, name: string) => parseInput(queueNameSchema, name, `queue.${op}: name`)

  return {
    async push(name, data, pushOptions = {}) {
      checkName('push', name)
      const opts = parseInput(pushOptionsSchema, pushOptions, 'queue.push: options')
      const s = settingsFor(name)
      const payload = encodeJson(data, 'queue.push: data', s.maxPayloadBytes)
      // The id is known before the call, so a push retried after a lost answer is recognised and not queued twice.
      const id = opts.jobId ?? randomUUID()
      await run('push', 'push', name, [id, payload, opts.maxAttempts ?? s.maxAttempts, opts.backoffMs ?? s.backoffMs, s.maxBackoffMs, opts.delayMs ?? 0])
      return id
    },

    async pop<T>(name: string) {
      const raw = await run('pop', 'pop', name, [settingsFor(name).deadLetterLimit])
      return raw === null || raw === undefined ? null : decodeJson<T>(raw)
    },

    async length(name) {
      return Number(await run('length', 'length', name, []))
    },

    async reserve<T>(name: string, reserveOptions: ReserveOptions = {}) {
      checkName('reserve', name)
      const opts = parseInput(reserveOptionsSchema, reserveOptions, 'queue.reserve: options')
      const s = settingsFor(name)
      const leaseToken = randomBytes(16).toString('base64url')
      const visibilityTimeoutMs = opts.visibilityTimeoutMs ?? s.visibilityTimeoutMs
      const reply = (await run('reserve', 'reserve', name, [visibilityTimeoutMs, leaseToken, s.deadLetterLimit])) as
        | [string, string, number, number, number, number, string | null, number]
        | null
      if (!reply) return null
      const [id, payload, attempts, maxAttempts, leaseExpiresAt, createdAt, lastError] = reply
      return {
        queue: name,
        id: String(id),
        leaseToken,
        data: decodeJson<T>(payload) as T,
        attempts: Number(attempts),
        maxAttempts: Number(maxAttempts),
        leaseExpiresAt: Number(leaseExpiresAt),
        visibilityTimeoutMs,
        createdAt: Number(createdAt),
        lastError: lastError ?? null,
      }
    },

    async ack(name, job) {
      checkName('ack', name)
      const lease = parseInput(leaseSchema, job, 'queue.ack: job')
      return (await run('ack', 'ack', name, [lease.id, lease.leaseToken])) === 1
    },

    async fail(name, job, error, failOptions = {}) {
      checkName('fail', name)
      const lease = parseInput(leaseSchema, job, 'queue.fail: job')
      const s = settingsFor(name)
      const reply = (await run('fail', 'fail', name, [lease.id, lease.leaseToken, describeError(error), s.deadLetterLimit, failOptions.giveUp ? '1' : '0'])) as
        | [string, number, number?, number?]
        | null
      if (!reply) return { status: 'stale' }
      const [status, attempts, retryAt, delayMs] = reply
      if (status === 'dead') return { status: 'dead', attempts: Number(attempts) }
      return { status: 'retry', attempts: Number(attempts), retryAt: Number(retryAt), delayMs: Number(delayMs) }
    },

    async extend(name, job, visibilityTimeoutMs) {
      checkName('extend', name)
      const lease = parseInput(leaseSchema, job, 'queue.extend: job')
      const vis = parseInput(positive(DAY).optional(), visibilityTimeoutMs, 'queue.extend: visibilityTimeoutMs') ?? settingsFor(name).visibilityTimeoutMs
      const deadline = await run('extend', 'extend', name, [lease.id, lease.leaseToken, vis])
      return deadline === null || deadline === undefined ? null : Number(deadline)
    },

    async stats(name) {
      const [waiting, inFlight, delayed, dead] = (await run('stats', 'stats', name, [])) as number[]
      return { waiting: Number(waiting), inFlight: Number(inFlight), delayed: Number(delayed), dead: Number(dead) }
    },

    async deadLetters<T>(name: string, limit = 50) {
      checkName('deadLetters', name)
      parseInput(positive(10_000), limit, 'queue.deadLetters: limit')
      const flat = (await run('deadLetters', 'listDead', name, [limit])) as (string | null)[]
      const out: DeadJob<T>[] = []
      for (let i = 0; i + 2 < flat.length; i += 3) {
        const meta = decodeJson<{ a?: number; e?: string; f?: number; c?: number }>(flat[i + 2]) ?? {}
        out.push({
          id: String(flat[i]),
          data: decodeJson<T>(flat[i + 1]) as T,
          attempts: meta.a ?? 0,
          error: meta.e ?? null,
          failedAt: meta.f ?? null,
          createdAt: meta.c ?? null,
        })
      }
      return out
    },

    async retryDead(name, id) {
      checkName('retryDead', name)
      parseInput(z.string().min(1, 'must not be empty'), id, 'queue.retryDead: id')
      return (await run('retryDead', 'retryDead', name, [id])) === 1
    },
  }
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
