import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { createServer, connect } from 'node:net'

/** Raised when the `redis-server` binary is not on PATH; the message says how to install it. */
export class RedisServerMissingError extends Error {
  override name = 'RedisServerMissingError'
  constructor() {
    super(
      'redis-server is not installed (not found on PATH). Install it with `sudo apt-get install -y redis-server` ' +
        '(Debian/Ubuntu) or `brew install redis` (macOS), or pass --redis-url to use a Redis you already run.',
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

export interface OwnRedisServer {
  url: string
  port: number
  process: ChildProcess
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>
}

export interface RedisServerOptions {
  port?: number
  /** Folder for persistence (AOF); omitted = nothing kept on disk. */
  dataDir?: string
}

/** Resolves when the port accepts connections; rejects if the process exits first. */
function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false
    const onExit = (code: number | null) => {
      if (!settled) {
        settled = true
        reject(new Error(`redis-server exited with code ${code} before accepting connections: ${stderr().trim()}`))
      }
    }
    child.once('exit', onExit)
    const attempt = () => {
      if (settled) return
      const sock = connect(port, '127.0.0.1')
      sock.once('connect', () => {
        sock.destroy()
        settled = true
        child.off('exit', onExit)
        resolve()
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
  const port = options.port ?? (await freePort())
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--protected-mode', 'yes']
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true })
    args.push('--dir', options.dataDir, '--appendonly', 'yes')
  } else {
    args.push('--appendonly', 'no')
  }
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  await waitForPort(port, child, () => stderr)
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve()
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}
