/**
 * `npm run dev`: the whole app on a fresh machine with the embedded defaults.
 * - env from .env / .env.local (Next's own loader), DATABASE_URL defaulting to SQLite at prisma/dev.db;
 * - the migrations applied to that database (prisma migrate deploy) and demo data seeded when it is empty;
 * - unless UPSTASH_REDIS_REST_URL is set (real Upstash) or REDIS_ENABLED=false: a private redis-server
 *   (data in .data/redis) and the local Upstash-compatible endpoint, wired into the app's env;
 * - then `next dev` (extra arguments are passed on, e.g. `npm run dev -- --port 4000`).
 */
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import path from 'node:path'
import { loadEnvConfig } from '@next/env'
import { startEndpoint, startRedisServer, freePort, RedisServerMissingError } from '@/upstash-local'

async function main(): Promise<void> {
  loadEnvConfig(process.cwd(), true)
  process.env.DATABASE_URL ??= 'file:./prisma/dev.db'

  const migrate = spawnSync('npx', ['prisma', 'migrate', 'deploy'], { stdio: 'inherit', env: process.env })
  if (migrate.status !== 0) process.exit(migrate.status ?? 1)
  const seed = spawnSync('npx', ['tsx', 'prisma/seed.ts'], { stdio: 'inherit', env: process.env })
  if (seed.status !== 0) process.exit(seed.status ?? 1)

  const stops: Array<() => Promise<void>> = []
  // The same spellings src/lib/redis/config.ts accepts for false.
  const redisEnabled = !['false', '0', 'no'].includes(process.env.REDIS_ENABLED ?? 'true')
  if (redisEnabled && !process.env.UPSTASH_REDIS_REST_URL) {
    let own
    try {
      own = process.env.REDIS_URL ? undefined : await startRedisServer({ dataDir: path.resolve('.data/redis') })
    } catch (err) {
      console.error(err instanceof RedisServerMissingError ? err.message : err)
      console.error('Or run without Redis: REDIS_ENABLED=false npm run dev')
      process.exit(1)
    }
    const token = process.env.UPSTASH_REDIS_REST_TOKEN ?? randomBytes(24).toString('base64url')
    // 8079 is the documented default; if something else holds it, any free port will do.
    const port = (await portIsFree(8079)) ? 8079 : await freePort()
    const endpoint = await startEndpoint({ redisUrl: process.env.REDIS_URL ?? own!.url, token, port })
    process.env.UPSTASH_REDIS_REST_URL = endpoint.url
    process.env.UPSTASH_REDIS_REST_TOKEN = token
    console.log(`[dev] local Upstash endpoint ${endpoint.url} -> ${process.env.REDIS_URL ?? own!.url}`)
    stops.push(() => endpoint.close())
    if (own) stops.push(() => own.stop())
  } else if (redisEnabled) {
    console.log(`[dev] using UPSTASH_REDIS_REST_URL from the environment`)
  }

  // Node runs Next's CLI directly (no npx in between), so signals reach it and it exits with us.
  const next = spawn(process.execPath, [require.resolve('next/dist/bin/next'), 'dev', ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: process.env,
  })
  const shutdown = async (code: number) => {
    for (const stop of stops.reverse()) await stop().catch(() => {})
    process.exit(code)
  }
  process.on('SIGINT', () => next.kill('SIGINT'))
  process.on('SIGTERM', () => next.kill('SIGTERM'))
  next.on('exit', (code) => void shutdown(code ?? 0))
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

void main()
