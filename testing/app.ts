import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { freePort } from '@/upstash-local'

/**
 * The real app for tests: `next build` (once, and again only when the sources changed), then
 * scripts/serve.ts, the production server `npm start` runs, on a free port with the test's env.
 */
export const ROOT = path.resolve(__dirname, '..')

function sourcesHash(): string {
  const hash = createHash('sha256')
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name)
      if (entry.isDirectory()) {
        if (entry.name !== 'generated') walk(full)
      } else {
        hash.update(full).update(readFileSync(full))
      }
    }
  }
  walk(path.join(ROOT, 'src'))
  for (const f of [
    'next.config.ts',
    'package-lock.json',
    'prisma/schema.prisma',
    'tsconfig.json',
    'tsconfig.next.json',
    'postcss.config.mjs',
  ]) {
    const full = path.join(ROOT, f)
    if (existsSync(full)) hash.update(f).update(readFileSync(full))
  }
  return hash.digest('hex')
}

/** Where the build of the current sources lives (relative to the project, as Next's distDir must be). */
function distDir(): string {
  return path.join('.next-test', sourcesHash().slice(0, 16))
}

/**
 * Builds the app unless a build of these exact sources exists, each version in its own folder so
 * concurrent test runs never serve a build another run is replacing. Returns the env the server
 * needs to find it. Older builds are removed.
 */
export async function ensureBuilt(): Promise<{ NEXT_DIST_DIR: string }> {
  const dir = distDir()
  const env = { NEXT_DIST_DIR: dir }
  const deadline = Date.now() + 180_000
  while (!existsSync(path.join(ROOT, dir, 'BUILD_ID'))) {
    const res = spawnSync(process.execPath, [require.resolve('next/dist/bin/next'), 'build'], {
      cwd: ROOT,
      env: { ...process.env, ...env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
      encoding: 'utf8',
    })
    if (res.status === 0) break
    // Another test run is building these same sources: its build will do.
    if (!/already running/.test(res.stdout + res.stderr) || Date.now() > deadline)
      throw new Error(`next build failed:\n${res.stdout}\n${res.stderr}`)
    await new Promise((r) => setTimeout(r, 1000))
  }
  const parent = path.join(ROOT, '.next-test')
  for (const old of readdirSync(parent)) {
    const full = path.join(parent, old)
    if (old !== path.basename(dir) && Date.now() - statSync(full).mtimeMs > 10 * 60_000)
      rmSync(full, { recursive: true, force: true })
  }
  return env
}

/** What every test server signs its session cookies with (production requires one). */
export const TEST_SESSION_SECRET = 'test-session-secret-0123456789abcdef0123456789'

/**
 * Where a test server sends e-mail unless the test gives its own SMTP_URL (tests/support/smtp.ts): a
 * port nothing listens on, so a test that is not about mail never reaches a real server (a send fails
 * and retries). Production requires SMTP_URL, MAIL_FROM and APP_ORIGIN (src/lib/startup-check.ts).
 */
export const TEST_SMTP_URL = 'smtp://127.0.0.1:9'
export const TEST_MAIL_FROM = 'IA Poste Manager <no-reply@example.fr>'

/** The server's environment on top of the test's: a variable given as undefined is removed. */
export type AppEnv = Record<string, string | undefined>

async function spawnApp(env: AppEnv, options: StartOptions): Promise<{ child: ChildProcess; port: number }> {
  // Built on first use (app and page tests only), once per version of the sources, whichever worker gets there first.
  const build = await ensureBuilt()
  const port = options.port ?? (await freePort())
  const args =
    options.via === 'next'
      ? [require.resolve('next/dist/bin/next'), 'start', '--port', String(port), '--hostname', '127.0.0.1']
      : ['--import', 'tsx', 'scripts/serve.ts', '--port', String(port), '--hostname', '127.0.0.1']
  const merged: AppEnv = {
    ...process.env,
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    // The machine running tests is loaded (test files in parallel, builds): a Redis answer slower than the
    // 1 s default there is not an outage. Tests of outages and timeouts set their own.
    REDIS_TIMEOUT_MS: '3000',
    ALLOW_DEMO_ACCOUNTS: 'true',
    SESSION_SECRET: TEST_SESSION_SECRET,
    SMTP_URL: TEST_SMTP_URL,
    MAIL_FROM: TEST_MAIL_FROM,
    // The server's own address: production refuses other Hosts once APP_ORIGIN is set (src/proxy.ts).
    APP_ORIGIN: `http://127.0.0.1:${port}`,
    ...build,
    ...env,
  }
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: Object.fromEntries(
      Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined),
    ) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return { child, port }
}

/**
 * Starts the production build as startApp does, for a configuration that must be refused: resolves
 * with the exit code and everything printed once the process exits; rejects if it becomes ready.
 */
export async function startAppExpectingExit(
  env: AppEnv,
  options: StartOptions = {},
): Promise<{ code: number | null; output: string }> {
  const { child } = await spawnApp(env, options)
  let out = ''
  child.stdout!.on('data', (d) => (out += String(d)))
  child.stderr!.on('data', (d) => (out += String(d)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`still running after 30 s instead of refusing to start:\n${out}`))
    }, 30_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output: out })
    })
  })
}

export interface RunningApp {
  url: string
  child: ChildProcess
  /** Everything the server printed (for failure messages). */
  output(): string
  stop(): Promise<void>
}

export interface StartOptions {
  /**
   * How the build is served: 'serve' = scripts/serve.ts (`npm start`, a single server); 'next' = plain
   * `next start`, as Vercel and any standard Next host serve it (no custom server in front).
   */
  via?: 'serve' | 'next'
  /**
   * The port to listen on (default: a free one). For a server whose APP_ORIGIN must name its own address
   * (links in e-mails; production refuses any other Host): take one with freePort() first.
   */
  port?: number
}

/**
 * Starts the production build with `env` on a free port; resolves once it is ready. The build is
 * ensureBuilt's (its folder goes to the server as NEXT_DIST_DIR). The demo accounts may log in
 * (ALLOW_DEMO_ACCOUNTS=true) unless `env` says otherwise.
 */
/**
 * (The demo accounts may log in and a SESSION_SECRET is set, unless `env` says otherwise.)
 */
export async function startApp(env: AppEnv, options: StartOptions = {}): Promise<RunningApp> {
  const { child, port } = await spawnApp(env, options)
  let out = ''
  child.stderr!.on('data', (d) => (out += String(d)))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`app not ready in 30 s:\n${out}`)), 30_000)
    createInterface({ input: child.stdout! }).on('line', (line) => {
      out += `${line}\n`
      if (/ready on|✓ ready in/i.test(line)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`app exited (${code}) before it was ready:\n${out}`))
    })
  })
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** A browser-like client: keeps the session cookie, sends JSON. */
export class Client {
  cookie: string | undefined
  constructor(
    readonly base: string,
    readonly defaults: Record<string, string> = {},
  ) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        ...this.defaults,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      redirect: 'manual',
    })
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const [name, value] = pair!.split('=')
      if (!name!.includes('iapm_session')) continue
      this.cookie = value ? `${name}=${value}` : undefined
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(c)) this.cookie = undefined
    }
    return res
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, undefined, headers)
  post = (path: string, body?: unknown, headers?: Record<string, string>) =>
    this.request('POST', path, body ?? {}, headers)
  patch = (path: string, body: unknown, headers?: Record<string, string>) => this.request('PATCH', path, body, headers)
  delete = (path: string, headers?: Record<string, string>) => this.request('DELETE', path, undefined, headers)

  /** Logs in; throws unless it worked. */
  async login(email: string, password = 'demo-password'): Promise<void> {
    const res = await this.post('/api/auth/login', { email, password })
    if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${await res.text()}`)
  }
}
