import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { request } from 'node:http'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startRedisServer, type OwnRedisServer } from '@/upstash-local'
import { command, eventually, type Target } from './support'

/**
 * Finding 2 (memory without bound), on the endpoint as users run it: `scripts/upstash-local.ts` as a
 * child process, with its peak memory read from the kernel (/proc/<pid>/status VmHWM), nothing inside.
 */
const SCRIPT = path.resolve('scripts/upstash-local.ts')
const TSX = pathToFileURL(path.resolve('node_modules/tsx/dist/loader.mjs')).href
const MB = 1024 * 1024

let redis: OwnRedisServer
let child: ChildProcess
let target: Target
let stderr = ''

beforeAll(async () => {
  redis = await startRedisServer()
  const token = randomBytes(16).toString('hex')
  child = spawn(
    process.execPath,
    ['--import', TSX, SCRIPT, '--port', '0', '--redis-url', redis.endpointUrl, '--token', token],
    {
      env: { PATH: process.env.PATH, HOME: process.env.HOME } as unknown as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  await eventually(() => /UPSTASH_REDIS_REST_TOKEN=\S+\n/.test(out) || child.exitCode !== null, 20_000)
  target = { UPSTASH_REDIS_REST_URL: /^UPSTASH_REDIS_REST_URL=(\S+)$/m.exec(out)![1]!, UPSTASH_REDIS_REST_TOKEN: token }
})

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r))
    child.kill('SIGTERM')
    await exited
  }
  await redis?.stop()
})

/** Peak resident memory of the endpoint process so far, in bytes. */
function peakRss(pid: number): number {
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]
  return Number(kb) * 1024
}

/** POSTs `body` with a Content-Length; resolves with the status and headers, or the socket error (the endpoint may close early). */
function post(
  route: string,
  body: Buffer,
): Promise<{ status: number; retryAfter?: string; error?: string; text: string }> {
  return new Promise((resolve) => {
    const url = new URL(route, target.UPSTASH_REDIS_REST_URL)
    const req = request(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${target.UPSTASH_REDIS_REST_TOKEN}`, 'content-length': String(body.length) },
    })
    req.on('response', (res) => {
      let text = ''
      res.on('data', (d: Buffer) => (text = (text + d.toString()).slice(0, 500)))
      res.on('end', () =>
        resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, text }),
      )
      res.on('error', () => resolve({ status: res.statusCode!, text }))
    })
    req.on('error', (err) => resolve({ status: 0, error: err.message, text: '' }))
    req.end(body)
  })
}

/**
 * A bound on starvation, not a measure of speed: a client starved behind the 10 MB bodies (parsed on
 * the event loop) waits for them, seconds; one served beside them answers within this even on a
 * loaded 2-core machine.
 */
const NOT_STARVED_MS = 2_500

/** Runs `load` while another client GETs in a loop; returns the load's result and the slowest GET (ms). */
async function whileOthersAsk<T>(load: () => Promise<T>): Promise<[T, number]> {
  let done = false
  let slowest = 0
  const other = (async () => {
    while (!done) {
      const t = performance.now()
      const res = await command(target, ['GET', 'other'])
      expect(res.status).toBe(200)
      slowest = Math.max(slowest, performance.now() - t)
    }
  })()
  const out = await load().finally(() => (done = true))
  await other
  return [out, slowest]
}

describe('2. memory stays bounded under huge pipelines (endpoint as a child process)', () => {
  it('six concurrent 10 MB /pipeline bodies of ~1.1 M ["PING"]: refused early (413), process alive, others not starved, peak RSS ≤ 512 MB', async () => {
    const n = 1_150_000
    const body = Buffer.from(`[${'["PING"],'.repeat(n - 1)}["PING"]]`)
    expect(body.length).toBeLessThanOrEqual(10 * MB)
    const [results, slowest] = await whileOthersAsk(() =>
      Promise.all(Array.from({ length: 6 }, () => post('/pipeline', body))),
    )
    for (const r of results) {
      // Refused as soon as the count is over the limit; the endpoint then closes the connection, so a
      // client still uploading may see the reset instead of the answer.
      if (r.status !== 0) {
        expect(r.status).toBe(413)
        expect(r.text).toMatch(/commands in one request, over the limit of 10000 \(--max-commands\)/)
      } else expect(r.error).toMatch(/EPIPE|ECONNRESET|socket hang up/)
    }
    expect(results.some((r) => r.status === 413)).toBe(true)
    expect(slowest).toBeLessThan(NOT_STARVED_MS)
    expect(child.exitCode).toBeNull()
    expect(peakRss(child.pid!)).toBeLessThanOrEqual(512 * MB)
  })

  it('six concurrent 10 MB pipelines within the command limit: admitted within the in-flight budget, the rest 503 + Retry-After; peak RSS ≤ 512 MB', async () => {
    const value = 'v'.repeat(2000)
    const body = Buffer.from(JSON.stringify(Array.from({ length: 5000 }, (_, i) => ['SET', `big:${i}`, value])))
    expect(body.length).toBeLessThanOrEqual(10 * MB)
    expect(body.length).toBeGreaterThan(9 * MB)
    const [results, slowest] = await whileOthersAsk(() =>
      Promise.all(Array.from({ length: 6 }, () => post('/pipeline', body))),
    )
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0)
    for (const r of results) {
      if (r.status === 503) {
        expect(r.retryAfter).toBe('1')
        // Over the in-flight budget; or, on a loaded machine, Redis slower than the endpoint's bound: not sent either way.
        expect(r.text).toMatch(
          /endpoint is busy: .* in flight \(limit 32 MB, --max-inflight-bytes\); not sent, retry shortly|Redis is unavailable/,
        )
      } else if (r.status !== 0) expect(r.status).toBe(200)
    }
    expect(slowest).toBeLessThan(NOT_STARVED_MS)
    expect(child.exitCode).toBeNull()
    expect(peakRss(child.pid!)).toBeLessThanOrEqual(512 * MB)
    expect(stderr).toBe('')
  })

  it('3. a reply too deep for the decoder: 504 to its caller, one log line without secrets, the next request served at once', async () => {
    const deep = await command(target, [
      'EVAL',
      'local t={} local c=t for i=1,3000 do local n={} c[1]=n c=n end return t',
      '0',
    ])
    expect(deep.status).toBe(504)
    const [after, ms] = await (async () => {
      const t = performance.now()
      return [await command(target, ['ECHO', 'after']), performance.now() - t] as const
    })()
    expect(after.json).toEqual({ result: 'after' })
    expect(ms).toBeLessThan(NOT_STARVED_MS)
    const lines = stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^upstash-local: a Redis reply could not be decoded \(Maximum call stack size exceeded\); rebuilt shared connection 0/,
    )
    expect(stderr).not.toContain(target.UPSTASH_REDIS_REST_TOKEN)
    expect(stderr).not.toContain(redis.credentials.endpoint)
  })
})
