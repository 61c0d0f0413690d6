import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { errors } from '@upstash/redis'
import { afterEach, describe, expect, it } from 'vitest'
import {
  startEndpoint,
  startRedisServer,
  type EndpointOptions,
  type OwnRedisServer,
  type RedisServerOptions,
  type RunningEndpoint,
} from '@/upstash-local'
import { directClient } from '../../testing/redis-direct'
import { command, eventually, raw, upstash, type Target } from './support'

/**
 * Issue 16, "Accounts, abuse and the quota": the endpoint items, each reproduced against a private
 * redis-server and a private endpoint (real HTTP, the real @upstash/redis client, no mocks).
 */
let redis: OwnRedisServer | undefined
let endpoint: RunningEndpoint | undefined
let dataDir: string | undefined
afterEach(async () => {
  if (redis?.process.exitCode === null && redis.process.signalCode === null) redis.process.kill('SIGKILL')
  await endpoint?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  redis = endpoint = dataDir = undefined
})

async function start(
  options: Partial<EndpointOptions> = {},
  server: RedisServerOptions = {},
  own = false,
): Promise<Target & { admin: string }> {
  redis = await startRedisServer(server)
  const token = randomBytes(16).toString('hex')
  endpoint = await startEndpoint(
    { redisUrl: redis.endpointUrl, token, port: 0, ...options },
    own ? { ownRedis: redis } : undefined,
  )
  return { UPSTASH_REDIS_REST_URL: endpoint.url, UPSTASH_REDIS_REST_TOKEN: token, admin: redis.url }
}

const SCRIPT = path.resolve('scripts/upstash-local.ts')
const TSX = pathToFileURL(path.resolve('node_modules/tsx/dist/loader.mjs')).href

/** scripts/upstash-local.ts as a child process; resolves once it printed its URL. */
async function startCli(
  args: string[],
): Promise<{ target: Target; child: ChildProcess; output: () => string; stop(): Promise<void> }> {
  const token = randomBytes(16).toString('hex')
  const child = spawn(process.execPath, ['--import', TSX, SCRIPT, '--port', '0', '--token', token, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME } as unknown as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  await eventually(() => /UPSTASH_REDIS_REST_TOKEN=\S+\n/.test(out) || child.exitCode !== null, 20_000)
  const url = /^UPSTASH_REDIS_REST_URL=(\S+)$/m.exec(out)
  if (!url) throw new Error(`the endpoint did not start: ${out}`)
  return {
    target: { UPSTASH_REDIS_REST_URL: url[1]!, UPSTASH_REDIS_REST_TOKEN: token },
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

const errorOf = (res: { json: unknown }) => (res.json as { error: string }).error

/**
 * A POST whose body is written slowly by hand (node:http, Content-Length declared up front):
 * `chunks` pieces of `chunkBytes`, one every `everyMs`. Resolves with the answer's status and body.
 */
function slowUpload(target: Target, declared: number, chunkBytes: number, everyMs: number) {
  const url = new URL(target.UPSTASH_REDIS_REST_URL)
  let timer: NodeJS.Timeout | undefined
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/',
        headers: { authorization: `Bearer ${target.UPSTASH_REDIS_REST_TOKEN}`, 'content-length': String(declared) },
      },
      (res) => {
        let body = ''
        res.on('data', (d: Buffer) => (body += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode!, body }))
        res.on('error', () => resolve({ status: res.statusCode!, body }))
      },
    )
    req.on('error', reject)
    req.write('["SET","slow","')
    timer = setInterval(() => {
      if (!req.destroyed) req.write('x'.repeat(chunkBytes))
    }, everyMs)
  }).finally(() => clearInterval(timer))
  return answer
}

describe('1. a body over the limit sent by Node’s fetch gets the 413, not a connection reset', () => {
  it('@upstash/redis (Node fetch) reads the 413 for 30 and 60 MB values sent to the CLI endpoint (its own process); raw fetch too, chunked or not', async () => {
    // In a process of its own, as users run it: in-process, client and server share one event loop and the race hides.
    redis = await startRedisServer()
    const cli = await startCli(['--redis-url', redis.endpointUrl, '--max-body', String(1024 * 1024)])
    try {
      const target = cli.target
      for (const mb of [30, 60]) {
        const err = await upstash(target)
          .set('big', 'x'.repeat(mb * 1024 * 1024))
          .catch((e: unknown) => e)
        expect(err).toBeInstanceOf(errors.UpstashError)
        expect((err as Error).message).toMatch(/body of \d+ bytes is over the limit of 1048576 bytes/)
      }
      const body = JSON.stringify(['SET', 'big', 'x'.repeat(30 * 1024 * 1024)])
      const res = await raw(target, '/', { body })
      expect(res.status).toBe(413)
      const bytes = new TextEncoder().encode(body)
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < bytes.length; i += 1024 * 1024) c.enqueue(bytes.subarray(i, i + 1024 * 1024))
          c.close()
        },
      })
      const chunked = await raw(target, '/', { body: stream })
      expect(chunked.status).toBe(413)
      expect(errorOf(chunked)).toMatch(/body is over the limit of 1048576 bytes/)
      expect((await command(target, ['EXISTS', 'big'])).json).toEqual({ result: 0 })
      expect((await command(target, ['PING'])).json).toEqual({ result: 'PONG' })
    } finally {
      await cli.stop()
    }
  })
})

describe('2. a body that arrives too slowly is cut and frees its budget', () => {
  it('4 slow uploads holding the whole in-flight budget get 408 within --body-timeout; others are served again at once after', async () => {
    const target = await start({ maxInflightBytes: 4 * 1024 * 1024, bodyTimeoutMs: 1_500, minBodyRate: 0 })
    const started = performance.now()
    // Each declares 1 MB and sends 10 bytes every 50 ms: together they hold the whole 4 MB budget.
    const slow = Array.from({ length: 4 }, () => slowUpload(target, 1024 * 1024, 10, 50))
    await eventually(
      async () => (await command(target, ['SET', 'k', 'x'.repeat(1024 * 1024)])).status === 503,
      2_000,
      20,
    )
    const answers = await Promise.all(slow)
    for (const a of answers) {
      expect(a.status).toBe(408)
      expect(JSON.parse(a.body).error).toMatch(
        /request timeout: the body was not received within 1500 ms \(--body-timeout\).*not run/,
      )
    }
    // Well before Node's own 300 s request timeout; the budget is free again.
    expect(performance.now() - started).toBeLessThan(5_000)
    expect((await command(target, ['SET', 'k', 'x'.repeat(1024 * 1024)])).status).toBe(200)
    expect((await command(target, ['EXISTS', 'slow'])).json).toEqual({ result: 0 })
  })

  it('a drip under --min-body-rate is cut long before --body-timeout', async () => {
    const target = await start({ bodyTimeoutMs: 60_000, minBodyRate: 64 * 1024 })
    const started = performance.now()
    const a = await slowUpload(target, 1024 * 1024, 100, 20)
    expect(a.status).toBe(408)
    expect(JSON.parse(a.body).error).toMatch(
      /the body arrives too slowly: \d+ bytes in \d+ ms, under the minimum of 65536 bytes\/s \(--min-body-rate\)/,
    )
    expect(performance.now() - started).toBeLessThan(10_000)
    expect((await command(target, ['PING'])).json).toEqual({ result: 'PONG' })
  })
})

/** Peak resident memory of a process so far (/proc/<pid>/status VmHWM), in bytes. */
function peakRss(pid: number): number {
  return Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024
}

describe('3. replies bounded before they are built', () => {
  it('SRANDMEMBER k -3000000 is refused before Redis builds it: 400 saying why, the CLI endpoint’s peak memory does not move', async () => {
    redis = await startRedisServer()
    const cli = await startCli(['--redis-url', redis.endpointUrl])
    try {
      const target = cli.target
      await command(target, ['SADD', 's', 'm'.repeat(100)])
      await command(target, ['HSET', 'h', 'f', 'v'.repeat(100)])
      await command(target, ['ZADD', 'z', '1', 'z'.repeat(100)])
      const before = peakRss(cli.child.pid!)
      const res = await command(target, ['SRANDMEMBER', 's', '-3000000'])
      expect(res.status).toBe(400)
      expect(errorOf(res)).toMatch(
        /^ERR reply too large: SRANDMEMBER with a count of -3000000 asks for 3000000 elements, over what the endpoint's limit of 10485760 bytes per request \(--max-reply-bytes\) allows \(163840 elements.*not run/,
      )
      for (const args of [
        ['HRANDFIELD', 'h', '-100000', 'WITHVALUES'],
        ['ZRANDMEMBER', 'z', '-2000000'],
        ['LRANGE', 'l', '0', '9999999'],
        ['ZRANGE', 'z', '0', '100000', 'WITHSCORES'],
        ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'LIMIT', '0', '5000000'],
        ['GETRANGE', 'g', '0', '20000000'],
        ['SUBSTR', 'g', '0', '20000000'],
        ['SPOP', 's', '1000000'],
        ['LPOP', 'l', '1000000'],
      ]) {
        const r = await command(target, args)
        expect(r.status, args.join(' ')).toBe(400)
        expect(errorOf(r)).toMatch(/^ERR reply too large: .*not run/)
      }
      // In a pipeline: that entry is refused, the others run; in a transaction nothing runs.
      const piped = (
        await raw(target, '/pipeline', {
          body: JSON.stringify([
            ['INCR', 'n'],
            ['SRANDMEMBER', 's', '-3000000'],
            ['INCR', 'n'],
          ]),
        })
      ).json as { result?: unknown; error?: string }[]
      expect(piped[0]).toEqual({ result: 1 })
      expect(piped[1]!.error).toMatch(/reply too large: SRANDMEMBER/)
      expect(piped[2]).toEqual({ result: 2 })
      const multi = await raw(target, '/multi-exec', {
        body: JSON.stringify([
          ['INCR', 'n'],
          ['SRANDMEMBER', 's', '-3000000'],
        ]),
      })
      expect(multi.status).toBe(400)
      expect(errorOf(multi)).toMatch(/reply too large: SRANDMEMBER .*the transaction was not run/)
      expect((await command(target, ['GET', 'n'])).json).toEqual({ result: '2' })
      // Bounded requests are untouched.
      expect((await command(target, ['SRANDMEMBER', 's', '-5'])).json).toEqual({
        result: Array(5).fill('m'.repeat(100)),
      })
      expect((await command(target, ['ZRANGE', 'z', '0', '-1'])).json).toEqual({ result: ['z'.repeat(100)] })
      // The attack used to grow the endpoint by ~317 MB (three million decoded elements).
      expect(peakRss(cli.child.pid!) - before).toBeLessThan(40 * 1024 * 1024)
    } finally {
      await cli.stop()
    }
  })
})

describe('4. Redis’s memory is bounded', () => {
  it('the own redis-server has maxmemory 256mb and noeviction by default', async () => {
    redis = await startRedisServer()
    const admin = await directClient(redis.url)
    try {
      expect(await admin.sendCommand(['CONFIG', 'GET', 'maxmemory'])).toEqual(['maxmemory', String(256 * 1024 * 1024)])
      expect(await admin.sendCommand(['CONFIG', 'GET', 'maxmemory-policy'])).toEqual(['maxmemory-policy', 'noeviction'])
    } finally {
      await admin.close()
    }
  })

  it('SETRANGE/SETBIT/BITFIELD growing a value past --max-value-bytes from a tiny request are refused unrun', async () => {
    const target = await start()
    for (const args of [
      ['SETRANGE', 'v', '200000000', 'x'],
      ['SETBIT', 'v', '4294967295', '1'],
      ['BITFIELD', 'v', 'SET', 'u8', '#200000000', '1'],
    ]) {
      const r = await command(target, args)
      expect(r.status, args.join(' ')).toBe(400)
      expect(errorOf(r)).toMatch(
        /^ERR value too large: .* over the endpoint's limit of 104857600 bytes per value \(--max-value-bytes\); not run/,
      )
    }
    expect((await command(target, ['EXISTS', 'v'])).json).toEqual({ result: 0 })
    expect((await command(target, ['SETRANGE', 'v', '1000', 'x'])).json).toEqual({ result: 1001 })
  })

  it('once full, a write gets a 400 that says Redis is full (maxmemory, noeviction), reads still work, nothing was evicted', async () => {
    const target = await start({}, { maxMemory: '3mb' }, true)
    let full: { status: number; json: unknown } | undefined
    let written = 0
    while (!full) {
      const r = await command(target, ['SET', `fill:${written}`, 'x'.repeat(64 * 1024)])
      if (r.status === 200) written++
      else full = r
      expect(written).toBeLessThan(1000)
    }
    expect(full.status).toBe(400)
    expect(errorOf(full)).toMatch(
      /^OOM command not allowed .*Redis is full: its memory is over its maxmemory \(3mb, the endpoint's own redis-server: --redis-maxmemory\) and it evicts nothing/,
    )
    expect(written).toBeGreaterThan(0)
    expect((await command(target, ['DBSIZE'])).json).toEqual({ result: written })
    expect((await command(target, ['GET', 'fill:0'])).json).toEqual({ result: 'x'.repeat(64 * 1024) })
  })
})

describe('5. a script that wrote and loops forever, on the endpoint’s own redis-server', () => {
  it('ends with a restart of that redis-server from its AOF (cause logged), 503s that say so meanwhile, and the endpoint serves again by itself', async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'upstash-local-aof-'))
    const target = await start({ timeoutMs: 500, scriptTimeoutMs: 500 }, { dataDir }, true)
    const admin = await directClient(target.admin)
    await admin.sendCommand(['CONFIG', 'SET', 'busy-reply-threshold', '500'])
    await admin.close()
    expect((await command(target, ['SET', 'kept', 'before'])).json).toEqual({ result: 'OK' })
    const pid = redis!.process.pid
    const logged: string[] = []
    const log = console.error
    console.error = (line: string) => logged.push(line)
    try {
      const script = command(target, ['EVAL', "redis.call('SET', KEYS[1], '1') while true do end", '1', 'wrote'])
      const busy: string[] = []
      await eventually(
        async () => {
          const r = await command(target, ['GET', 'kept'])
          if (r.status === 503) busy.push(errorOf(r))
          return (
            r.status === 200 &&
            busy.some((e) => /could not be stopped .*being restarted, not sent, safe to retry/.test(e))
          )
        },
        15_000,
        20,
      )
      const scriptRes = await script
      expect(scriptRes.status).toBe(504)
      expect(errorOf(scriptRes)).toMatch(/could not be stopped .*Redis was restarted from its AOF/)
      expect(redis!.process.pid).not.toBe(pid)
      // What was acknowledged before is there; the half-run script left nothing.
      expect((await command(target, ['GET', 'kept'])).json).toEqual({ result: 'before' })
      expect((await command(target, ['EXISTS', 'wrote'])).json).toEqual({ result: 0 })
      expect(
        logged.some((l) =>
          /could not be stopped .*restarting the endpoint's own redis-server \(SIGKILL, then reload from its AOF\)/.test(
            l,
          ),
        ),
      ).toBe(true)
    } finally {
      console.error = log
    }
  }, 30_000)
})
