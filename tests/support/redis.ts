import { afterAll, beforeAll } from 'vitest'
import { createContext, type RedisContext } from '@/redis'
import { billedCommands } from '../../testing/redis-direct'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'

/**
 * A Redis context on a stack (`env`: a private stack's, or the run's from inject('stack')) under a key
 * prefix of its own, Redis enabled and telemetry off; `extra` adds or overrides variables (timeouts, retries).
 */
export function stackContext(
  env: Stack['env'],
  label: string,
  extra: Record<string, string | undefined> = {},
): RedisContext {
  return createContext({
    ...env,
    REDIS_KEY_PREFIX: uniquePrefix(label),
    REDIS_ENABLED: 'true',
    UPSTASH_DISABLE_TELEMETRY: 'true',
    ...extra,
  })
}

/**
 * A Redis context on a closed port, where nothing ever answers, under a key prefix of its own and without retries:
 * for the paths where Redis cannot be reached. `extra` adds or overrides variables (a shorter timeout, say).
 */
export function unreachableContext(label: string, extra: Record<string, string | undefined> = {}): RedisContext {
  return createContext({
    UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1',
    UPSTASH_REDIS_REST_TOKEN: 'x',
    REDIS_KEY_PREFIX: uniquePrefix(label),
    REDIS_ENABLED: 'true',
    UPSTASH_DISABLE_TELEMETRY: 'true',
    REDIS_RETRIES: '0',
    ...extra,
  })
}

export interface PrivateStack<T> {
  /** The stack, from the block's first hook on. */
  readonly stack: Stack
  /** What `create` built on it. */
  readonly helper: T
  /** The billed commands `run` sent to this stack's redis-server (billedCommands' total). */
  billed(run: () => Promise<unknown>): Promise<number>
}

/**
 * A private redis-server and endpoint for the describe block (or file) that calls this, started before its
 * tests and stopped after them: billed commands count that block's traffic alone, and a test may stop the
 * endpoint. `create` builds what the block tests on it (a helper on a stackContext, say).
 */
export function onPrivateStack<T>(create: (env: Stack['env']) => T): PrivateStack<T> {
  let stack: Stack | undefined
  let helper: T | undefined
  beforeAll(async () => {
    stack = await startStack()
    helper = create(stack.env)
  })
  afterAll(async () => {
    await stack?.stop()
  })
  const started = () => {
    if (!stack) throw new Error('the private stack is used before its beforeAll ran')
    return stack
  }
  return {
    get stack() {
      return started()
    },
    get helper() {
      started()
      return helper as T
    },
    billed: (run) => billedCommands(started().env.REDIS_URL, run).then((r) => r.total),
  }
}
