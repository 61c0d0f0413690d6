import { setTimeout as sleep } from 'node:timers/promises'
import type { Queue, ReservedJob } from './queue'

/** What one processing step did. */
export type JobOutcome<T> =
  | { status: 'empty' }
  | { status: 'acked'; job: ReservedJob<T> }
  | { status: 'retry'; job: ReservedJob<T>; error: unknown; retryAt: number }
  | { status: 'dead'; job: ReservedJob<T>; error: unknown }
  /** The lease expired while the handler ran and another worker took the job over: our result was not recorded. */
  | { status: 'lease-lost'; job: ReservedJob<T> }

export type JobHandler<T> = (data: T, job: ReservedJob<T>) => Promise<void>

export interface ProcessOptions {
  /** Lease length; the lease is renewed every third of it while the handler runs (a heartbeat). */
  visibilityTimeoutMs?: number
  /** Renew the lease while the handler runs (default true); false bounds each attempt by the visibility timeout. */
  heartbeat?: boolean
  /** Called right after a job is reserved (logging). */
  onReserved?: (job: ReservedJob<unknown>) => void
}

/** Thrown by a handler for an error retrying cannot fix: the job is dead-lettered at once. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError'
}

/**
 * Reserves one job, runs `handler`, then acks it, or reports the failure (retry with backoff /
 * dead letter). At-least-once: if this process dies anywhere before the ack, the lease expires and
 * the job is delivered again, so handlers should be idempotent. Redis errors (e.g. unavailable)
 * propagate; a job whose ack could not be sent is redelivered after its lease.
 */
export async function processNext<T>(
  queue: Queue,
  name: string,
  handler: JobHandler<T>,
  options: ProcessOptions = {},
): Promise<JobOutcome<T>> {
  const job = await queue.reserve<T>(name, { visibilityTimeoutMs: options.visibilityTimeoutMs })
  if (!job) return { status: 'empty' }
  options.onReserved?.(job as ReservedJob<unknown>)

  const leaseMs = job.visibilityTimeoutMs
  let leaseLost = false
  const heartbeat =
    options.heartbeat === false
      ? undefined
      : setInterval(
          () => {
            queue.extend(name, job, leaseMs).then(
              (deadline) => {
                if (deadline === null) leaseLost = true
              },
              () => {}, // Redis briefly unreachable: the next beat (or the lease expiry) settles it
            )
          },
          Math.max(50, Math.floor(leaseMs / 3)),
        )
  heartbeat?.unref?.()

  let error: unknown
  let ok = false
  try {
    await handler(job.data, job)
    ok = true
  } catch (err) {
    error = err
  } finally {
    clearInterval(heartbeat)
  }

  if (ok) return (await queue.ack(name, job)) ? { status: 'acked', job } : { status: 'lease-lost', job }
  const result = await queue.fail(name, job, error, { giveUp: error instanceof PermanentJobError })
  if (result.status === 'stale' || leaseLost) return { status: 'lease-lost', job }
  if (result.status === 'dead') return { status: 'dead', job, error }
  return { status: 'retry', job, error, retryAt: result.retryAt }
}

export interface WorkerOptions extends ProcessOptions {
  /** Stops the loop: the job in progress is finished (acked or failed) first. */
  signal: AbortSignal
  /** First wait after an empty poll; doubles while the queue stays empty… */
  minIdleMs?: number
  /**
   * …up to this (default 60 s). An idle worker costs one billed command per wait (an empty reserve),
   * so this bounds the idle cost: 60 s ≈ 1 440 commands a day; the price is that a job pushed to an
   * idle worker waits up to this long, while a busy one polls every minIdleMs.
   */
  maxIdleMs?: number
  /**
   * A free way to learn that work arrived, asked every `wakeHintEveryMs` while idle instead of
   * Redis: the analysis worker asks its database whether a new analysis was requested. When it
   * answers true the worker reserves at once, so a job pushed to an idle worker starts within about
   * a second while idling still costs one billed command per maxIdleMs.
   */
  wakeHint?: () => Promise<boolean>
  /** How often wakeHint is asked while idle (default 1 000 ms). */
  wakeHintEveryMs?: number
  /** Every step's outcome (logging, metrics). */
  onOutcome?: (outcome: JobOutcome<unknown>) => void
  /** Redis errors (e.g. unavailable); the loop backs off and carries on. */
  onError?: (error: unknown) => void
}

/** Polls `name` until `signal` aborts, running `handler` on each job (see processNext). */
export async function runWorker<T>(
  queue: Queue,
  name: string,
  handler: JobHandler<T>,
  options: WorkerOptions,
): Promise<void> {
  const minIdle = options.minIdleMs ?? 250
  const maxIdle = options.maxIdleMs ?? 60_000
  let idle = minIdle
  while (!options.signal.aborted) {
    let outcome: JobOutcome<T>
    try {
      outcome = await processNext(queue, name, handler, options)
    } catch (err) {
      options.onError?.(err)
      await pause(idle, options.signal)
      idle = Math.min(idle * 2, maxIdle)
      continue
    }
    options.onOutcome?.(outcome as JobOutcome<unknown>)
    if (outcome.status === 'empty') {
      const woken = await idleUntil(idle, options)
      idle = woken ? minIdle : Math.min(idle * 2, maxIdle)
    } else {
      idle = minIdle
    }
  }
}

/** Waits `ms`, asking the wake hint (if any) on the way; true when it said work arrived. */
async function idleUntil(ms: number, options: WorkerOptions): Promise<boolean> {
  if (!options.wakeHint) {
    await pause(ms, options.signal)
    return false
  }
  const every = options.wakeHintEveryMs ?? 1_000
  const until = Date.now() + ms
  while (!options.signal.aborted && Date.now() < until) {
    await pause(Math.min(every, until - Date.now()), options.signal)
    if (await options.wakeHint().catch(() => false)) return true
  }
  return false
}

/** Waits, but returns at once when the worker is told to stop. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal })
  } catch {
    // aborted: the loop condition ends the worker
  }
}
