import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { createServer, connect } from 'node:net'

/** Raised when the `redis-server` binary is not on PATH; the message says how to install it. */
export class RedisServerMissingError extends Error {
  override name = 'RedisServerMissingError'
  constructor() {
    super(
      'redis-server is not installed (not found on PATH). Install it with `sudo apt-get install -y redis-server` ' +
        '(Debian/Ubuntu) or `brew install redis` (macOS), or use a Redis you already run (REDIS_URL=redis://host:port, or --redis-url for scripts/upstash-local.ts).',
    )
  }
}

/** A free TCP port on 127.0.0.1, chosen by the OS. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

/** Passwords of a private redis-server: nothing else on the machine can use it without them. */
export interface RedisCredentials {
  /** The default user's: every command (tests, benchmarks, operators). */
  admin: string
  /** User `endpoint`'s: every command but administration (`-@admin`, MIGRATE, SWAPDB), in scripts too. */
  endpoint: string
}

export interface OwnRedisServer {
  /** The default user, with its password: for tests and operators, not for the endpoint. */
  url: string
  /** User `endpoint`, without administration commands: what the endpoint connects with. */
  endpointUrl: string
  credentials: RedisCredentials
  port: number
  /** The running redis-server (replaced by restart()). */
  process: ChildProcess
  /** Its maxmemory (Redis syntax, e.g. `256mb`); policy noeviction. */
  maxMemory: string
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>
  /**
   * SIGKILL, then starts it again on the same port with the same passwords and data folder: it reloads
   * its AOF (what was acknowledged before; a script that never finished left nothing there). Without a
   * data folder it comes back empty. For a Redis that cannot be stopped otherwise (a script that wrote).
   */
  restart(): Promise<void>
}

export interface RedisServerOptions {
  port?: number
  /** Folder for persistence (AOF); omitted = nothing kept on disk. */
  dataDir?: string
  /** Reuse these passwords (a restart on the same port that clients must keep reaching); default: new random ones. */
  credentials?: RedisCredentials
  /**
   * maxmemory, in Redis syntax (`256mb`, `1gb`, bytes); default 256mb, as Upstash's free plan. Policy
   * noeviction: once full, writes fail with Redis's OOM error instead of data being evicted silently.
   */
  maxMemory?: string
}

/** Default maxmemory of the endpoint's own redis-server (Upstash's free plan holds 256 MB). */
export const DEFAULT_MAX_MEMORY = '256mb'

/** What one redis-server process is started with (a restart reuses it). */
interface Spawn {
  port: number
  dataDir: string | undefined
  credentials: RedisCredentials
  maxMemory: string
}

const START_WITHIN_MS = 10_000

/**
 * Resolves when the child answers PING on its port (so another program holding the port is not taken
 * for it); rejects if the child exits first or after START_WITHIN_MS. `log` is the child's output so far.
 */
function waitForRedis(child: ChildProcess, { port, credentials }: Spawn, log: () => string): Promise<void> {
  const withinMs = START_WITHIN_MS
  const password = credentials.admin
  return new Promise((resolve, reject) => {
    let settled = false
    const finish = (err?: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.off('exit', onExit)
      if (err) reject(err)
      else resolve()
    }
    const onExit = (code: number | null) =>
      finish(new Error(`redis-server exited with code ${code} before accepting connections: ${log().trim()}`))
    const timer = setTimeout(
      () => finish(new Error(`redis-server did not answer on port ${port} within ${withinMs} ms: ${log().trim()}`)),
      withinMs,
    )
    child.once('exit', onExit)
    const attempt = () => {
      if (settled) return
      const sock = connect(port, '127.0.0.1')
      let answer = ''
      sock.once('connect', () => sock.write(`AUTH ${password}\r\nPING\r\n`))
      sock.on('data', (d: Buffer) => {
        answer += d.toString()
        if (!answer.includes('\r\n', answer.indexOf('\r\n') + 2)) return // both answers not in yet
        sock.destroy()
        if (answer.includes('+PONG')) finish()
        else setTimeout(attempt, 20) // e.g. -LOADING while the AOF is read
      })
      // Not listening yet: the child is still starting, ask again shortly.
      sock.once('error', () => setTimeout(attempt, 20))
    }
    attempt()
  })
}

/** Starts a private `redis-server` on a free port (or the given one), bound to 127.0.0.1. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<OwnRedisServer> {
  if (spawnSync('redis-server', ['--version']).error) throw new RedisServerMissingError()
  const credentials = options.credentials ?? {
    admin: randomBytes(18).toString('hex'),
    endpoint: randomBytes(18).toString('hex'),
  }
  const maxMemory = options.maxMemory ?? DEFAULT_MAX_MEMORY
  if (!/^\d+(b|k|kb|m|mb|g|gb)?$/i.test(maxMemory))
    throw new Error(`maxmemory must be a size such as 256mb or 1gb (got ${JSON.stringify(maxMemory)})`)
  const spec = { dataDir: options.dataDir, credentials, maxMemory }
  if (options.port !== undefined) return spawnRedis({ ...spec, port: options.port })
  // A port found free can be taken by someone else before redis-server binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnRedis({ ...spec, port: await freePort() })
    } catch (err) {
      if (attempt === 3) throw err
    }
  }
}

async function spawnRedis(spec: Spawn): Promise<OwnRedisServer> {
  const { port, credentials, maxMemory } = spec
  const child = await spawnChild(spec)
  const server: OwnRedisServer = {
    url: `redis://:${credentials.admin}@127.0.0.1:${port}`,
    endpointUrl: `redis://endpoint:${credentials.endpoint}@127.0.0.1:${port}`,
    credentials,
    port,
    process: child,
    maxMemory,
    stop: () => stopChild(server.process, 'SIGTERM'),
    restart: async () => {
      await stopChild(server.process, 'SIGKILL')
      server.process = await spawnChild(spec)
    },
  }
  return server
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill(signal)
  })
}

async function spawnChild(spec: Spawn): Promise<ChildProcess> {
  const { port, dataDir, credentials, maxMemory } = spec
  // Passwords on the command line are visible to local users in `ps`, as the port is; they keep other
  // programs (and web pages reaching the port) out, which an open port does not.
  // prettier-ignore
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--protected-mode', 'yes',
    '--requirepass', credentials.admin,
    // The endpoint's user: everything clients may run on Upstash, no administration (CONFIG SET requirepass,
    // REPLICAOF, SAVE, ACL… would lock everyone out or leak data), and Redis enforces it inside scripts too.
    '--user', 'endpoint', 'on', `>${credentials.endpoint}`, '~*', '&*', '+@all', '-@admin', '-migrate', '-swapdb',
    // Bounded, like an Upstash database: without it a client grows Redis until the OS kills it (SETRANGE,
    // APPEND…). noeviction: writes fail clearly (OOM) rather than data vanishing.
    '--maxmemory', maxMemory, '--maxmemory-policy', 'noeviction',
  ]
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true })
    args.push('--dir', dataDir, '--appendonly', 'yes')
  } else {
    args.push('--appendonly', 'no')
  }
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  // Whatever way this process ends (even an uncaught exception), its redis-server must not outlive it.
  const killOnExit = () => child.kill('SIGTERM')
  process.once('exit', killOnExit)
  child.once('exit', () => process.off('exit', killOnExit))
  // redis-server logs to stdout; keep the tail to explain a failed start.
  let log = ''
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-2000))
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  try {
    await waitForRedis(child, spec, () => log)
  } catch (err) {
    child.kill('SIGKILL')
    throw err
  }
  return child
}
