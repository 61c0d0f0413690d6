/** The queue's public types and defaults (the implementation: queue.ts). */

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
 * after one or two of the burst's jobs, not after all of them. Layout and scores: layout.ts. Failure: Redis unreachable →
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
  /**
   * Removes a job that is waiting or delayed, and its data, so it never runs (e.g. a reminder no longer
   * due); false when there was none: unknown, already done, leased to a worker (it is running) or dead.
   * A script: 4 billed commands (1 + ZSCORE, ZREM, HDEL), 2 when there was nothing to cancel.
   */
  cancel(name: string, jobId: string): Promise<boolean>
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
