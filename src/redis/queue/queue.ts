import type { ContextSource } from '../core/context'
import { ack, extend, fail, pop, push, reserve } from './jobs'
import { cancel, deadLetters, retryDead, stats } from './admin'
import { createQueueRuntime } from './runtime'
import type { Queue, QueueOptions } from './types'

export { DEFAULT_QUEUE_OPTIONS } from './types'
export type {
  DeadJob,
  FailResult,
  Lease,
  PushOptions,
  Queue,
  QueueOptions,
  QueueSettings,
  QueueStats,
  ReservedJob,
  ReserveOptions,
} from './types'

/**
 * Builds the queue on a context (the app uses `queue` from its entry, src/lib/upstash.ts, built on the default
 * one). Options are validated here, once; each operation lives in jobs.ts or admin.ts, each Lua
 * script in scripts/, the keys and scores in layout.ts.
 */
export function createQueue(source: ContextSource, options: QueueOptions = {}): Queue {
  const rt = createQueueRuntime(source, options)
  return {
    push: (name, data, pushOptions) => push(rt, name, data, pushOptions),
    pop: (name) => pop(rt, name),
    length: async (name) => (await stats(rt, name)).waiting,
    reserve: (name, reserveOptions) => reserve(rt, name, reserveOptions),
    ack: (name, job) => ack(rt, name, job),
    fail: (name, job, error, failOptions) => fail(rt, name, job, { ...failOptions, error }),
    extend: (name, job, visibilityTimeoutMs) => extend(rt, name, job, visibilityTimeoutMs),
    stats: (name) => stats(rt, name),
    deadLetters: (name, limit) => deadLetters(rt, name, limit),
    retryDead: (name, id) => retryDead(rt, name, id),
    cancel: (name, jobId) => cancel(rt, name, jobId),
  }
}
