import { resolveContext, type ContextSource } from './context'
import { withRedis } from './run'

/** What `health()` reports: whether Redis answered, how fast, and why not. */
export type RedisHealth =
  { status: 'up'; latencyMs: number } | { status: 'down'; latencyMs: number; error: string } | { status: 'disabled' }

/** One PING, bounded by REDIS_TIMEOUT_MS (and retries) and by the request's Redis budget; never throws. */
export async function health(source: ContextSource): Promise<RedisHealth> {
  let ctx
  try {
    ctx = resolveContext(source)
  } catch (err) {
    return { status: 'down', latencyMs: 0, error: (err as Error).message }
  }
  if (!ctx.redis) return { status: 'disabled' }
  const started = performance.now()
  try {
    const pong = await withRedis(ctx, 'health', (redis) => redis.ping())
    const latencyMs = performance.now() - started
    return pong === 'PONG'
      ? { status: 'up', latencyMs }
      : { status: 'down', latencyMs, error: `unexpected PING answer ${String(pong)}` }
  } catch (err) {
    return { status: 'down', latencyMs: performance.now() - started, error: (err as Error).message }
  }
}

/** true when Redis answers PING in time; false otherwise (down, slow, disabled, misconfigured). Never throws. */
export async function isRedisAvailable(source: ContextSource): Promise<boolean> {
  return (await health(source)).status === 'up'
}
