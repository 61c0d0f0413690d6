/**
 * Where `npm run dev` leaves the local endpoint's address and token (git-ignored, readable by the
 * owner only), so `npm run smoke` and `npm run worker` reach it with no setup while dev runs.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export const LOCAL_ENDPOINT_FILE = path.resolve(__dirname, '..', '.data', 'local-endpoint.env')

export function writeLocalEndpointFile(url: string, token: string): void {
  mkdirSync(path.dirname(LOCAL_ENDPOINT_FILE), { recursive: true })
  writeFileSync(
    LOCAL_ENDPOINT_FILE,
    `# Written by npm run dev (${new Date().toISOString()}); removed when it stops.\nUPSTASH_REDIS_REST_URL=${url}\nUPSTASH_REDIS_REST_TOKEN=${token}\n`,
    { mode: 0o600 },
  )
  chmodSync(LOCAL_ENDPOINT_FILE, 0o600)
}

export function removeLocalEndpointFile(): void {
  rmSync(LOCAL_ENDPOINT_FILE, { force: true })
}

/**
 * When no Redis REST variable is set (neither UPSTASH_REDIS_REST_* nor Vercel's KV_REST_API_*, in the
 * shell or .env files), takes the URL and token from the file `npm run dev` wrote. Returns the URL it
 * used, or undefined.
 */
export function useLocalEndpointFileIfUnset(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (redisRestConfigured(env) || !existsSync(LOCAL_ENDPOINT_FILE)) return undefined
  const values = Object.fromEntries(
    readFileSync(LOCAL_ENDPOINT_FILE, 'utf8')
      .split('\n')
      .filter((l) => /^UPSTASH_REDIS_REST_(URL|TOKEN)=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]),
  )
  if (!values.UPSTASH_REDIS_REST_URL || !values.UPSTASH_REDIS_REST_TOKEN) return undefined
  env.UPSTASH_REDIS_REST_URL = values.UPSTASH_REDIS_REST_URL
  env.UPSTASH_REDIS_REST_TOKEN = values.UPSTASH_REDIS_REST_TOKEN
  return values.UPSTASH_REDIS_REST_URL
}

/** true when either pair of Redis REST variables is set, even partly (src/redis/core/config.ts then reads, or rejects, it). */
export function redisRestConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(
    env.UPSTASH_REDIS_REST_URL || env.UPSTASH_REDIS_REST_TOKEN || env.KV_REST_API_URL || env.KV_REST_API_TOKEN,
  )
}
