import { randomBytes } from 'node:crypto'
import { startEndpoint, startRedisServer, type OwnRedisServer, type RunningEndpoint } from '@/upstash-local'

/** A private redis-server with the local endpoint in front of it: what a test needs when it must own both. */
export interface Stack {
  redis: OwnRedisServer
  endpoint: RunningEndpoint
  /** UPSTASH_REDIS_REST_URL / _TOKEN for this stack. */
  env: { UPSTASH_REDIS_REST_URL: string; UPSTASH_REDIS_REST_TOKEN: string; REDIS_URL: string }
  stop(): Promise<void>
}

/** Starts redis-server (free port) and the endpoint (free port). Throws with install advice if redis-server is missing. */
export async function startStack(options: { endpointPort?: number } = {}): Promise<Stack> {
  const redis = await startRedisServer()
  const token = randomBytes(24).toString('base64url')
  const endpoint = await startEndpoint({ redisUrl: redis.endpointUrl, port: options.endpointPort ?? 0, token })
  return {
    redis,
    endpoint,
    env: { UPSTASH_REDIS_REST_URL: endpoint.url, UPSTASH_REDIS_REST_TOKEN: token, REDIS_URL: redis.url },
    async stop() {
      await endpoint.close()
      await redis.stop()
    },
  }
}

/** A unique key prefix per test file, so files sharing the run's Redis never see each other's keys. */
export function uniquePrefix(label: string): string {
  return `t${label.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}${randomBytes(4).toString('hex')}`
}
