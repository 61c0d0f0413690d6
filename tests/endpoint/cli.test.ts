import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { connect } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { command, eventually, raw, type Target } from './support'

/** `tsx scripts/upstash-local.ts` as a user runs it: a separate process, its output, its exit. */
const stack = inject('stack')
const SCRIPT = path.resolve('scripts/upstash-local.ts')
// What `--import tsx` resolves to, as a path so the CLI can run from any working directory.
const TSX = pathToFileURL(path.resolve('node_modules/tsx/dist/loader.mjs')).href
const running = new Set<ChildProcess>()

interface Cli {
  child: ChildProcess
  /** Everything printed so far. */
  stdout(): string
  stderr(): string
  exited: Promise<number | null>
}

/** Runs the CLI with `node --import tsx` (what `npx tsx` does) and an environment of our choosing. */
function runCli(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}): Cli {
  const env = options.env ?? { PATH: process.env.PATH, HOME: process.env.HOME }
  const child = spawn(process.execPath, ['--import', TSX, SCRIPT, ...args], {
    env: env as NodeJS.ProcessEnv,
    cwd: options.cwd ?? process.cwd(),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let out = ''
  let err = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  void exited.then(() => running.delete(child))
  return { child, stdout: () => out, stderr: () => err, exited }
}

/** Waits for the two .env.local lines and returns them as a target. */
async function ready(cli: Cli): Promise<Target> {
  await eventually(() => /UPSTASH_REDIS_REST_TOKEN=\S+\n/.test(cli.stdout()) || cli.child.exitCode !== null, 20_000)
  const url = /^UPSTASH_REDIS_REST_URL=(\S+)$/m.exec(cli.stdout())
  const token = /^UPSTASH_REDIS_REST_TOKEN=(\S+)$/m.exec(cli.stdout())
  if (!url || !token) throw new Error(`the CLI did not print its .env.local lines:\n${cli.stdout()}\n${cli.stderr()}`)
  return { UPSTASH_REDIS_REST_URL: url[1]!, UPSTASH_REDIS_REST_TOKEN: token[1]! }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1')
    sock.once('connect', () => {
      sock.destroy()
      resolve(true)
    })
    sock.once('error', () => resolve(false))
  })
}

// A test that failed midway leaves its CLI running: stop it the graceful way first, so that a
// redis-server it started goes too (SIGKILL would orphan it), then for sure.
afterEach(async () => {
  await Promise.all(
    [...running].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }),
  )
})

describe('scripts/upstash-local.ts', () => {
  it('prints the two .env.local lines, serves requests, and exits 0 on SIGTERM', async () => {
    const token = randomBytes(12).toString('hex')
    const cli = runCli(['--redis-url', stack.REDIS_URL, '--port', '0', '--token', token])
    const target = await ready(cli)
    expect(cli.stdout()).toMatch(
      /Paste into \.env\.local:\nUPSTASH_REDIS_REST_URL=http:\/\/127\.0\.0\.1:\d+\nUPSTASH_REDIS_REST_TOKEN=/,
    )
    expect(target.UPSTASH_REDIS_REST_TOKEN).toBe(token)
    expect((await command(target, ['PING'])).json).toEqual({ result: 'PONG' })
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
    expect(cli.stdout()).toMatch(/SIGTERM: shutting down/)
  })

  it('takes the token from UPSTASH_REDIS_REST_TOKEN, else makes a random one', async () => {
    const fromEnv = runCli(['--port', '0'], {
      env: { PATH: process.env.PATH, REDIS_URL: stack.REDIS_URL, UPSTASH_REDIS_REST_TOKEN: 'from-the-env-0123456789' },
    })
    expect((await ready(fromEnv)).UPSTASH_REDIS_REST_TOKEN).toBe('from-the-env-0123456789')
    fromEnv.child.kill('SIGTERM')
    const random = runCli(['--port', '0'], { env: { PATH: process.env.PATH, REDIS_URL: stack.REDIS_URL } })
    const target = await ready(random)
    expect(target.UPSTASH_REDIS_REST_TOKEN).toMatch(/^[\w-]{32}$/)
    expect((await command(target, ['PING'])).status).toBe(200)
    random.child.kill('SIGTERM')
    expect(await Promise.all([fromEnv.exited, random.exited])).toEqual([0, 0])
  })

  it('starts its own redis-server (data kept under .data/redis) and stops it when it exits', async () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'upstash-local-'))
    try {
      const first = runCli(['--port', '0'], { cwd })
      const target = await ready(first)
      const port = Number(/own redis-server \(127\.0\.0\.1:(\d+), password-protected/.exec(first.stdout())![1])
      expect(await accepts(port)).toBe(true)
      // Its password is not printed, and without it the port is useless to other local programs.
      expect(first.stdout()).not.toMatch(/redis:\/\/[^ ]*@/)
      expect(await unauthenticatedPing(port)).toMatch(/^-NOAUTH/)
      expect((await command(target, ['SET', 'kept', 'across restarts'])).json).toEqual({ result: 'OK' })
      first.child.kill('SIGTERM')
      expect(await first.exited).toBe(0)
      expect(await accepts(port)).toBe(false)
      expect(existsSync(path.join(cwd, '.data/redis'))).toBe(true)

      const second = runCli(['--port', '0'], { cwd })
      const again = await ready(second)
      expect((await command(again, ['GET', 'kept'])).json).toEqual({ result: 'across restarts' })
      second.child.kill('SIGINT')
      expect(await second.exited).toBe(0)
    } finally {
      rmSync(cwd, { recursive: true, force: true })
    }
  })

  it('exits non-zero with the install command when redis-server is not installed', async () => {
    // A PATH holding only node: redis-server (in /usr/bin next to node on Debian) is not found.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'node-only-'))
    symlinkSync(process.execPath, path.join(bin, 'node'))
    try {
      const cli = runCli(['--port', '0'], { env: { PATH: bin } })
      expect(await cli.exited).toBe(1)
      expect(cli.stderr()).toMatch(/redis-server is not installed/)
      expect(cli.stderr()).toMatch(/apt-get install -y redis-server/)
      expect(cli.stdout()).not.toMatch(/UPSTASH_REDIS_REST_URL/)
    } finally {
      rmSync(bin, { recursive: true, force: true })
    }
  })

  it('exits 1 saying so when the port is taken', async () => {
    const taken = new URL(stack.UPSTASH_REDIS_REST_URL).port
    const cli = runCli(['--redis-url', stack.REDIS_URL, '--port', taken])
    expect(await cli.exited).toBe(1)
    expect(cli.stderr()).toMatch(new RegExp(`EADDRINUSE.*port ${taken} is taken: pick another with --port`))
  })

  it('rejects bad flags with the usage (exit 2)', async () => {
    const cli = runCli(['--port', 'eighty'])
    expect(await cli.exited).toBe(2)
    expect(cli.stderr()).toMatch(/--port expects a whole number/)
    expect(cli.stderr()).toMatch(/usage: npx tsx scripts\/upstash-local.ts/)
  })

  it('--verbose logs one line per request and never the token, even sent as ?_token=', async () => {
    const token = `secret-${randomBytes(8).toString('hex')}`
    const cli = runCli(['--redis-url', stack.REDIS_URL, '--port', '0', '--token', token, '--verbose'])
    const target = await ready(cli)
    const before = cli.stdout()
    await command(target, ['PING'])
    await raw(target, `/get/x?_token=${token}`, { auth: false })
    await raw(target, `/ping?_token=${token}x`, { auth: false })
    await raw(target, '/pipeline', { body: '[["PING"]]' })
    const lines = () => cli.stdout().slice(before.length).trim().split('\n').filter(Boolean)
    await eventually(() => lines().length >= 4)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
    const requestLines = lines().filter((l) => !l.includes('shutting down'))
    expect(requestLines).toHaveLength(4)
    expect(requestLines[0]).toMatch(/^POST \/ 200 [\d.]+ms$/)
    // The route's shape, never a path-style command's arguments (keys can be session ids).
    expect(requestLines[1]).toMatch(/^GET \/get\/… 200 [\d.]+ms$/)
    expect(requestLines[2]).toMatch(/^GET \/ping 401 [\d.]+ms$/)
    expect(requestLines[3]).toMatch(/^POST \/pipeline 200 [\d.]+ms$/)
    expect(cli.stdout().slice(before.length)).not.toContain(token)
    expect(cli.stderr()).not.toContain(token)
  })

  it('logs nothing per request without --verbose', async () => {
    const cli = runCli(['--redis-url', stack.REDIS_URL, '--port', '0'])
    const target = await ready(cli)
    const before = cli.stdout()
    for (let i = 0; i < 3; i++) expect((await command(target, ['PING'])).status).toBe(200)
    cli.child.kill('SIGTERM')
    expect(await cli.exited).toBe(0)
    expect(cli.stdout().slice(before.length).trim()).toBe('SIGTERM: shutting down')
  })
})

/** What redis-server answers a PING from a client that did not authenticate. */
function unauthenticatedPing(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1')
    sock.once('connect', () => sock.write('PING\r\n'))
    sock.once('data', (d: Buffer) => (sock.destroy(), resolve(d.toString())))
    sock.once('error', reject)
  })
}
