/**
 * The local Upstash-compatible REST endpoint, in front of a real redis-server.
 *   npx tsx scripts/upstash-local.ts [--port 8079] [--host 127.0.0.1] [--token T] [--redis-url redis://…]
 *                                    [--max-body 10485760] [--timeout 2000] [--pool 1] [--allow-origin <origin>]… [--verbose]
 *                                    [--max-reply-bytes 10485760] [--max-commands 10000] [--max-inflight-bytes 33554432]
 *                                    [--max-blocking 100] [--script-timeout 5000] [--body-timeout 10000] [--min-body-rate 262144]
 *                                    [--max-value-bytes 104857600] [--redis-maxmemory 256mb]
 * With no Redis URL (flag or REDIS_URL) it starts its own redis-server (data under .data/redis).
 * Reads .env / .env.local first, as the app does.
 */
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { loadEnvConfig } from '@next/env'
import { z } from 'zod'
import { RedisServerMissingError, startEndpoint, startRedisServer, type OwnRedisServer } from '../src/upstash-local'

const usage = `usage: npx tsx scripts/upstash-local.ts [--port 8079] [--host 127.0.0.1] [--token <token>] [--redis-url redis://host:port] [--max-body <bytes>] [--timeout <ms>] [--pool <n>] [--allow-origin <origin>]… [--max-reply-bytes <bytes>] [--max-commands <n>] [--max-inflight-bytes <bytes>] [--max-blocking <n>] [--script-timeout <ms>] [--body-timeout <ms>] [--min-body-rate <bytes/s>] [--max-value-bytes <bytes>] [--redis-maxmemory <size, own redis-server: 256mb>] [--verbose]`

const number = (flag: string) =>
  z.string().regex(/^\d+$/, `${flag} expects a whole number`).transform(Number).optional()

const flagsSchema = z.object({
  port: number('--port'),
  host: z.string().optional(),
  token: z.string().min(1, '--token must not be empty').optional(),
  'redis-url': z.string().optional(),
  'max-body': number('--max-body'),
  timeout: number('--timeout'),
  pool: number('--pool'),
  'allow-origin': z.array(z.string()).optional(),
  'max-reply-bytes': number('--max-reply-bytes'),
  'max-commands': number('--max-commands'),
  'max-inflight-bytes': number('--max-inflight-bytes'),
  'max-blocking': number('--max-blocking'),
  'script-timeout': number('--script-timeout'),
  'body-timeout': number('--body-timeout'),
  'min-body-rate': number('--min-body-rate'),
  'max-value-bytes': number('--max-value-bytes'),
  'redis-maxmemory': z
    .string()
    .regex(/^\d+(b|k|kb|m|mb|g|gb)?$/i, '--redis-maxmemory expects a size such as 256mb or 1gb')
    .optional(),
  verbose: z.boolean().optional(),
  help: z.boolean().optional(),
})

async function main(): Promise<void> {
  // Like the app: .env / .env.local supply UPSTASH_REDIS_REST_TOKEN and REDIS_URL, so the token pasted
  // there once stays valid across restarts (the shell's environment still wins).
  loadEnvConfig(process.cwd(), true, { info: () => {}, error: console.error })
  let raw
  try {
    raw = parseArgs({
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string' },
        'redis-url': { type: 'string' },
        'max-body': { type: 'string' },
        timeout: { type: 'string' },
        pool: { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        'max-reply-bytes': { type: 'string' },
        'max-commands': { type: 'string' },
        'max-inflight-bytes': { type: 'string' },
        'max-blocking': { type: 'string' },
        'script-timeout': { type: 'string' },
        'body-timeout': { type: 'string' },
        'min-body-rate': { type: 'string' },
        'max-value-bytes': { type: 'string' },
        'redis-maxmemory': { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`)
    process.exit(2)
  }
  const parsed = flagsSchema.safeParse(raw)
  if (!parsed.success) {
    console.error(`${parsed.error.issues.map((i) => i.message).join('\n')}\n${usage}`)
    process.exit(2)
  }
  const flags = parsed.data
  if (flags.help) {
    console.log(usage)
    return
  }

  const token = flags.token ?? process.env.UPSTASH_REDIS_REST_TOKEN ?? randomBytes(24).toString('base64url')
  let redisUrl = flags['redis-url'] ?? process.env.REDIS_URL
  let own: OwnRedisServer | undefined
  if (!redisUrl) {
    try {
      own = await startRedisServer({ dataDir: path.resolve('.data/redis'), maxMemory: flags['redis-maxmemory'] })
    } catch (err) {
      console.error(
        err instanceof RedisServerMissingError
          ? err.message
          : `could not start redis-server: ${(err as Error).message}`,
      )
      process.exit(1)
    }
    // The endpoint connects as a user without administration commands; the password keeps other local programs out.
    redisUrl = own.endpointUrl
  }

  let endpoint
  try {
    endpoint = await startEndpoint(
      {
        redisUrl,
        token,
        port: flags.port ?? 8079,
        host: flags.host ?? '127.0.0.1',
        maxBodyBytes: flags['max-body'],
        timeoutMs: flags.timeout,
        poolSize: flags.pool,
        allowOrigins: flags['allow-origin'],
        maxReplyBytes: flags['max-reply-bytes'],
        maxCommands: flags['max-commands'],
        maxInflightBytes: flags['max-inflight-bytes'],
        maxBlocking: flags['max-blocking'],
        scriptTimeoutMs: flags['script-timeout'],
        bodyTimeoutMs: flags['body-timeout'],
        minBodyRate: flags['min-body-rate'],
        maxValueBytes: flags['max-value-bytes'],
        verbose: flags.verbose ?? false,
        // Its own redis-server: an unkillable script ends with a restart of it (from its AOF).
      },
      { ownRedis: own },
    )
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const hint = code === 'EADDRINUSE' ? ` (port ${flags.port ?? 8079} is taken: pick another with --port)` : ''
    console.error(`could not start the endpoint: ${(err as Error).message}${hint}`)
    await own?.stop()
    process.exit(1)
  }

  // Never the URL's password.
  const target = own
    ? `own redis-server (127.0.0.1:${own.port}, password-protected, data in .data/redis)`
    : redisUrl.replace(/\/\/[^@/]*@/, '//***@')
  console.log(`Upstash-compatible endpoint on ${endpoint.url} -> ${target}`)
  console.log('Paste into .env.local:')
  console.log(`UPSTASH_REDIS_REST_URL=${endpoint.url}`)
  console.log(`UPSTASH_REDIS_REST_TOKEN=${token}`)

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: shutting down`)
    await endpoint.close()
    await own?.stop()
    process.exit(0)
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal))
}

void main()
