/**
 * `npm run dev`: the whole app on a fresh machine with the embedded defaults.
 * - env from .env / .env.local (Next's own loader), DATABASE_URL defaulting to SQLite at prisma/dev.db;
 * - the migrations applied and the demo data seeded (idempotent: npm run db:setup);
 * - unless UPSTASH_REDIS_REST_URL is set (real Upstash) or REDIS_ENABLED=false: a private redis-server
 *   (data in .data/redis) and the local Upstash-compatible endpoint, wired into the app's env;
 * - unless SMTP_URL is set: a local SMTP catcher (a real SMTP receiver on 127.0.0.1) that keeps what the app
 *   sends (the last MAIL_CATCHER_KEEP messages in .data/caught-mail.json, shown by the dev mail page), its
 *   URL passed as SMTP_URL to the server and the worker: no mail server needed, nothing leaves the machine;
 * - the app in dev mode (scripts/serve.ts --dev) and the worker (scripts/worker.ts: analyses and e-mail);
 *   extra arguments go to the server, e.g. `npm run dev -- --port 4000`. The app listens on
 *   127.0.0.1 only unless asked otherwise (`npm run dev -- --hostname 0.0.0.0`);
 * - the local endpoint's URL and token in .data/local-endpoint.env (git-ignored, mode 600), which
 *   `npm run smoke` and `npm run worker` read when UPSTASH_REDIS_REST_URL/_TOKEN are unset;
 * - a configured Redis that does not answer is reported loudly before the app starts.
 * Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { startDevMailCatcher } from '@/lib/mail/catcher'
import { redactSmtpUrl } from '@/lib/mail/config'
import { startEndpoint, startRedisServer, freePort, RedisServerMissingError } from '@/upstash-local'
import { dbSetup } from './db-setup'
import {
  LOCAL_ENDPOINT_FILE,
  redisRestConfigured,
  removeLocalEndpointFile,
  writeLocalEndpointFile,
} from './local-endpoint-file'

/** A message nobody scrolls past. */
function loud(lines: string[]): void {
  const bar = '!'.repeat(78)
  console.error(`\n${bar}\n${lines.map((l) => `!! ${l}`).join('\n')}\n${bar}\n`)
}

/** PINGs the configured Redis; says loudly when it does not answer (the app would run "degraded"). */
async function checkConfiguredRedis(): Promise<boolean> {
  const { health } = await import('@/lib/upstash')
  const h = await health()
  const { getConfig } = await import('@/lib/upstash')
  const { url, credentialSource } = getConfig()
  if (h.status === 'up') {
    console.log(`[dev] Redis ${url} answers (${h.latencyMs.toFixed(1)} ms)`)
    return true
  }
  if (h.status === 'disabled') return true
  const placeholder = getConfig().token === 'change-me'
  loud(
    [
      `Redis is UNREACHABLE at ${credentialSource}=${url}`,
      `  (${h.error.slice(0, 120)})`,
      placeholder ? 'The token is still the placeholder "change-me" from .env.example.' : '',
      'The app will start DEGRADED: no logins, no cache, no analyses.',
      'Fix: remove (or comment out) the UPSTASH_REDIS_REST_* / KV_REST_API_* lines in .env.local to use the',
      '     local endpoint npm run dev starts by itself, or put your real Upstash REST URL and token there.',
    ].filter(Boolean),
  )
  return false
}

async function main(): Promise<void> {
  await dbSetup()

  const stops: Array<() => Promise<void>> = []
  let localEndpoint = false
  let redisReachable = true
  // The same spellings src/redis/core/config.ts accepts for false.
  const redisEnabled = !['false', '0', 'no'].includes(process.env.REDIS_ENABLED ?? 'true')
  if (redisEnabled && !redisRestConfigured()) {
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
    // Its own redis-server: the endpoint connects as the ACL user without administration commands.
    // Owning its redis-server, the endpoint can restart it when a script that wrote cannot be stopped.
    const endpoint = await startEndpoint(
      { redisUrl: process.env.REDIS_URL ?? own!.endpointUrl, token, port },
      { ownRedis: own },
    )
    process.env.UPSTASH_REDIS_REST_URL = endpoint.url
    process.env.UPSTASH_REDIS_REST_TOKEN = token
    writeLocalEndpointFile(endpoint.url, token)
    localEndpoint = true
    console.log(
      `[dev] local Upstash endpoint ${endpoint.url} -> ${(process.env.REDIS_URL ?? own!.url).replace(/\/\/[^@/]*@/, '//***@')}`,
    )
    stops.push(async () => removeLocalEndpointFile())
    stops.push(() => endpoint.close())
    if (own) stops.push(() => own.stop())
  } else if (redisEnabled) {
    console.log('[dev] using the Redis REST URL and token from the environment')
    redisReachable = await checkConfiguredRedis()
  }

  // Before the children: they inherit SMTP_URL (set here to the catcher's unless it was configured).
  const smtpConfigured = Boolean(process.env.SMTP_URL?.trim())
  stops.push(await startDevMailCatcher())

  // Node runs the scripts directly (no npx in between), so signals reach them and they exit with us.
  const children: ChildProcess[] = []
  const run = (script: string, args: string[]) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: 'inherit', env: process.env })
    children.push(child)
    return child
  }
  const args = process.argv.slice(2)
  // `next dev` would listen on every interface, exposing the app to the network: loopback unless asked.
  const hostGiven = args.some((a) => a === '-H' || a === '--hostname' || a.startsWith('--hostname='))
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/serve.ts', '--dev', ...(hostGiven ? [] : ['--hostname', '127.0.0.1']), ...args],
    {
      stdio: ['inherit', 'pipe', 'inherit'],
      env: process.env,
    },
  )
  children.push(server)
  const worker = redisEnabled ? run('scripts/worker.ts', []) : undefined
  if (!worker) console.log('[dev] REDIS_ENABLED=false: no analysis worker (the queue needs Redis)')
  // The server's output goes through, and once it is ready, where everything is.
  createInterface({ input: server.stdout! }).on('line', (line) => {
    console.log(line)
    const ready = /ready on (http\S+)/.exec(line)
    if (!ready) return
    const url = ready[1]!.replace('127.0.0.1', 'localhost')
    const endpointLine = !redisEnabled
      ? 'Redis     disabled (REDIS_ENABLED=false)'
      : localEndpoint
        ? `Endpoint  ${process.env.UPSTASH_REDIS_REST_URL} (local; URL and token in ${path.relative(process.cwd(), LOCAL_ENDPOINT_FILE)}, read by npm run smoke / worker)`
        : redisReachable
          ? `Redis     ${process.env.UPSTASH_REDIS_REST_URL} (from your environment)`
          : `Redis     ${process.env.UPSTASH_REDIS_REST_URL} UNREACHABLE: the app runs DEGRADED (see the message above)`
    console.log(
      [
        '',
        '──────────────────────────────────────────────────────────────────────────────',
        `  App       ${url}   (log in as demo@cabinet-dupont.fr / demo-password)`,
        `  ${endpointLine}`,
        `  Worker    ${worker ? `running (pid ${worker.pid}), analyses and e-mail, its JSON log lines below` : 'not started'}`,
        `  E-mail    ${smtpConfigured ? `SMTP_URL from your environment (${redactSmtpUrl(process.env.SMTP_URL!)})` : `caught locally at ${process.env.SMTP_URL} (nothing is sent; the dev mail page lists them)`}`,
        `  Database  ${process.env.DATABASE_URL}`,
        hostGiven ? '' : '  Listening on 127.0.0.1 only (npm run dev -- --hostname 0.0.0.0 to open it to the network)',
        '──────────────────────────────────────────────────────────────────────────────',
        '',
      ]
        .filter((l) => l !== '')
        .join('\n'),
    )
  })

  let stopping = false
  /**
   * Ctrl-C in a terminal already sent SIGINT to the children (one process group): give them a moment to
   * stop gracefully before a SIGTERM, which they would take as a second signal and exit at once.
   */
  const shutdown = async (code: number, childrenSignalled = false) => {
    if (stopping) return
    stopping = true
    const alive = () => children.filter((c) => c.exitCode === null && c.signalCode === null)
    const exited = Promise.all(alive().map((c) => new Promise((r) => c.once('exit', r))))
    if (!childrenSignalled) for (const c of alive()) c.kill('SIGTERM')
    else setTimeout(() => alive().forEach((c) => c.kill('SIGTERM')), 3000).unref()
    await exited
    for (const stop of stops.reverse()) await stop().catch(() => {})
    process.exit(code)
  }
  process.on('SIGINT', () => void shutdown(0, true))
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
