import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { startEndpoint, startRedisServer, type OwnRedisServer, type RunningEndpoint } from '@/upstash-local'
import { directClient } from '../../testing/redis-direct'
import { command, eventually, raw, upstash, type Target } from './support'

/**
 * Redis going away and coming back, on private redis-servers (never the run's shared one).
 * The endpoint runs with a 500 ms timeout so "within the timeout" is checked quickly.
 */
const TIMEOUT_MS = 500

let redis: OwnRedisServer | undefined
let endpoint: RunningEndpoint | undefined
afterEach(async () => {
  if (redis?.process.signalCode === null) redis.process.kill('SIGCONT')
  await endpoint?.close()
  await redis?.stop()
  redis = endpoint = undefined
})

async function start(redisUrl: string): Promise<Target> {
  const token = randomBytes(16).toString('hex')
  endpoint = await startEndpoint({ redisUrl, token, port: 0, timeoutMs: TIMEOUT_MS })
  return { UPSTASH_REDIS_REST_URL: endpoint.url, UPSTASH_REDIS_REST_TOKEN: token }
}

/** The answer and how long it took, in ms. */
async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now()
  const out = await run()
  return [out, performance.now() - t]
}

/** 503: not sent, safe to retry. */
function expect503(res: { status: number; json: unknown; headers: Headers }) {
  expect(res.status).toBe(503)
  expect((res.json as { error: string }).error).toMatch(/^ERR Redis is unavailable/)
  expect(res.headers.get('upstash-sync-token')).toMatch(/^\d+$/)
}

/** 504: sent, no answer: it may have run. */
function expect504(res: { status: number; json: unknown; headers: Headers }) {
  expect(res.status).toBe(504)
  expect((res.json as { error: string }).error).toMatch(/^ERR Redis outcome unknown: .*may (still run|have run)/)
  expect(res.headers.get('upstash-sync-token')).toMatch(/^\d+$/)
}

describe('Redis down and back', () => {
  it('answers a JSON 503 at once while Redis is stopped, and recovers by itself when it is back on the same port', async () => {
    redis = await startRedisServer()
    const target = await start(redis.url)
    expect((await command(target, ['SET', 'k', 'before'])).json).toEqual({ result: 'OK' })
    const port = redis.port
    await redis.stop()

    for (const run of [
      () => command(target, ['GET', 'k']),
      () => raw(target, '/get/k'),
      () => raw(target, '/pipeline', { body: '[["GET","k"]]' }),
      () => raw(target, '/multi-exec', { body: '[["GET","k"]]' }),
      () => command(target, ['BLPOP', 'q', '1']),
      () => raw(target, '/subscribe/ch'),
    ]) {
      const [res, ms] = await timed(run)
      expect503(res)
      expect(ms).toBeLessThan(TIMEOUT_MS + 250)
    }
    // The real client gets an error too (no hang).
    await expect(upstash(target).get('k')).rejects.toThrow(/Redis is unavailable/)

    redis = await startRedisServer({ port, credentials: redis.credentials })
    await eventually(async () => (await command(target, ['PING'])).status === 200, 10_000, 50)
    expect((await command(target, ['SET', 'k', 'after'])).json).toEqual({ result: 'OK' })
    expect((await raw(target, '/pipeline', { body: '[["GET","k"],["BLPOP","none","0.01"]]' })).json).toEqual([
      { result: 'after' },
      { result: null },
    ])
  })

  it('answers 504 (sent, outcome unknown) within the timeout when Redis stalls (SIGSTOP), then 503 at once (not sent), and works again once it resumes', async () => {
    redis = await startRedisServer()
    const target = await start(redis.url)
    expect((await command(target, ['PING'])).status).toBe(200)
    redis.process.kill('SIGSTOP')
    const [res, ms] = await timed(() => command(target, ['SET', 'stalled', '1']))
    expect504(res)
    expect((res.json as { error: string }).error).toMatch(new RegExp(`within ${TIMEOUT_MS} ms`))
    expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50)
    expect(ms).toBeLessThan(TIMEOUT_MS + 1000)
    // The connection is known to be stalled: the next command is not sent at all.
    const [refused, refusedMs] = await timed(() => command(target, ['SET', 'refused', '1']))
    expect503(refused)
    expect(refusedMs).toBeLessThan(250)
    redis.process.kill('SIGCONT')
    await eventually(async () => (await command(target, ['GET', 'stalled'])).status === 200)
    // The 504 one landed after all (that is what "outcome unknown" means); the 503 one never did.
    expect((await command(target, ['GET', 'stalled'])).json).toEqual({ result: '1' })
    expect((await command(target, ['EXISTS', 'refused'])).json).toEqual({ result: 0 })
    expect((await command(target, ['PING'])).json).toEqual({ result: 'PONG' })
  })

  it('answers 504 (outcome unknown, not a Redis error) to a command in flight when Redis dies', async () => {
    redis = await startRedisServer()
    const target = await start(redis.url)
    const blocked = command(target, ['BLPOP', 'never', '0'])
    const direct = await directClient(redis.url)
    await eventually(async () => /blocked_clients:1/.test((await direct.sendCommand(['INFO', 'clients'])) as string))
    direct.destroy()
    redis.process.kill('SIGKILL')
    expect504(await blocked)
    await eventually(() => endpoint!.busyConnections === 0)
  })

  it('starts while Redis is down (503 meanwhile) and serves once Redis comes up', async () => {
    const placeholder = await startRedisServer()
    const port = placeholder.port
    await placeholder.stop()
    const target = await start(placeholder.endpointUrl)
    expect503(await command(target, ['PING']))
    redis = await startRedisServer({ port, credentials: placeholder.credentials })
    await eventually(async () => (await command(target, ['PING'])).status === 200, 10_000, 50)
  })
})
