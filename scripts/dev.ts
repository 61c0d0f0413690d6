/**
 * `npm run dev`: the whole app on a fresh machine with the embedded defaults.
 * - env from .env / .env.local (Next's own loader), DATABASE_URL defaulting to SQLite at prisma/dev.db;
 * - the migrations applied and the demo data seeded (idempotent: npm run db:setup);
 * - unless UPSTASH_REDIS_REST_URL is set (real Upstash) or REDIS_ENABLED=false: a private redis-server
 *   (data in .data/redis) and the local Upstash-compatible endpoint, wired into the app's env;
 * - the app in dev mode (scripts/serve.ts --dev) and the analysis worker (scripts/worker.ts);
 *   extra arguments go to the server, e.g. `npm run dev -- --port 4000`.
 * Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import path from 'node:path'
import { startEndpoint, startRedisServer, freePort, RedisServerMissingError } from '@/upstash-local'
import { dbSetup } from './db-setup'

async function main(): Promise<void> {
  await dbSetup()

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

  // Node runs the scripts directly (no npx in between), so signals reach them and they exit with us.
  const children: ChildProcess[] = []
  const run = (script: string, args: string[]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit', env: process.env })
    children.push(child)
    return child
  }
  const server = run('scripts/serve.ts', ['--dev', ...process.argv.slice(2)])
  if (redisEnabled) run('scripts/worker.ts', [])
  else console.log('[dev] REDIS_ENABLED=false: no analysis worker (the queue needs Redis)')

  let stopping = false
  const shutdown = async (code: number) => {
    if (stopping) return
    stopping = true
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM')
    await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)))
    for (const stop of stops.reverse()) await stop().catch(() => {})
    process.exit(code)
  }
  process.on('SIGINT', () => void shutdown(0))
  process.on('SIGTERM', () => void shutdown(0))
  server.on('exit', (code) => void shutdown(code ?? 0))
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

main().catch((err) => {
  console.error((err as Error).message)
  process.exit(1)
})
