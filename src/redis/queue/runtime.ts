import type { Redis } from '@upstash/redis'
import { resolveContext, type ContextSource } from '../core/context'
import { parseInput } from '../core/helper-input'
import { withRedis, type WithRedisOptions } from '../core/run'
import { KEY_PARTS, type QueueKeys } from './layout'
import { optionsSchema, queueNameSchema } from './schemas'
import { DEFAULT_QUEUE_OPTIONS, type QueueOptions, type QueueSettings } from './types'

/** What every queue operation shares: where Redis is, the settings, and this process's view of contention. */
export interface QueueRuntime {
  source: ContextSource
  settingsFor(name: string): QueueSettings
  /** Queue name → until when reserves here spread over the candidates (another worker took one first). */
  contended: Map<string, number>
  /** Queue name → takes of this process in flight (where a contended take starts among the candidates). */
  takesInFlight: Map<string, number>
}

/** Validates the options once (RedisInputError naming the bad one) and builds the runtime. */
export function createQueueRuntime(source: ContextSource, options: QueueOptions): QueueRuntime {
  const { queues: perQueue = {}, ...base } = parseInput(optionsSchema, options, 'createQueue: options')
  return {
    source,
    settingsFor: (name) => ({ ...DEFAULT_QUEUE_OPTIONS, ...base, ...perQueue[name] }),
    contended: new Map(),
    takesInFlight: new Map(),
  }
}

/** The queue name, or RedisInputError naming the operation. */
export const checkName = (op: string, name: string): string => parseInput(queueNameSchema, name, `queue.${op}: name`)

/**
 * Validates the name, then runs `fn`, ONE round trip, with the client and the queue's keys. One:
 * withRedis stops waiting for `fn` when a budget runs out, and a loop inside it would go on sending
 * (a claim nobody receives) after its caller was told Redis is unavailable.
 */
export async function runOnQueue<T>(
  rt: QueueRuntime,
  { op, name }: { op: string; name: string },
  fn: (redis: Redis, keys: QueueKeys) => Promise<T>,
  options?: WithRedisOptions,
): Promise<T> {
  const ctx = resolveContext(rt.source)
  checkName(op, name)
  const [jobs, data, dead] = ctx.keys.slotKeys('queue', name, KEY_PARTS)
  return withRedis(ctx, `queue.${op}`, (redis) => fn(redis, { jobs, data, dead }), options)
}
