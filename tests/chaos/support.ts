/**
 * Chaos harness: a private redis-server (optionally with AOF) behind the local endpoint, faults
 * injected into the real process (SIGKILL, SIGSTOP/SIGCONT, restart on the same port, CLIENT PAUSE
 * through the admin URL) or the network (a latency proxy between the endpoint and Redis), and a recorder of every operation's wall time and outcome that prints a
 * summary table per scenario. CHAOS_FULL=1 (npm run test:chaos) runs longer scenarios.
 */
import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { startEndpoint, startRedisServer, type OwnRedisServer, type RunningEndpoint } from '@/upstash-local'
import { startLatencyProxy } from '../support/latency-proxy'
import { directClient } from '../../testing/redis-direct'

export const FULL = process.env.CHAOS_FULL === '1'
/** `short` in plain `npm test`, `full` under `npm run test:chaos`. */
export const scale = <T>(short: T, full: T): T => (FULL ? full : short)
export const ROOT = path.resolve(import.meta.dirname, '../..')

/** Slack allowed over the configured timeout for one call's wall time (the brief's bound). */
export const SLACK_MS = 250

export interface ChaosStack {
  redis: OwnRedisServer
  endpoint: RunningEndpoint
  env: {
    UPSTASH_REDIS_REST_URL: string
    UPSTASH_REDIS_REST_TOKEN: string
    REDIS_ENABLED: 'true'
    UPSTASH_DISABLE_TELEMETRY: 'true'
  }
  /** The admin (default user) URL of the current redis-server. */
  adminUrl(): string
  /** Fault log, for the summary. */
  faults: { name: string; atMs: number; durationMs: number }[]
  /** SIGSTOP for `ms`, then SIGCONT (the fault itself is the wait). */
  freeze(ms: number): Promise<void>
  /** CLIENT PAUSE `ms` ALL through the admin URL: Redis answers nothing for that long, then everything queued. */
  pause(ms: number): Promise<void>
  /** Slow, not gone: every byte between the endpoint and Redis delayed by `delayMs` each way, for `ms`. */
  slow(ms: number, delayMs: number): Promise<void>
  /** SIGKILL redis-server; resolves once it is gone. */
  kill(): Promise<void>
  /** SIGTERM (clean shutdown: the AOF is flushed), resolves once it is gone. */
  stopGracefully(): Promise<void>
  /** Starts redis-server again on the same port and passwords; `empty` throws its AOF away first. */
  start(options?: { empty?: boolean }): Promise<void>
  stop(): Promise<void>
  /** Milliseconds since the stack started (fault timestamps). */
  elapsed(): number
}

/**
 * redis-server (AOF in a temp folder when `aof`) + the endpoint with `endpointTimeoutMs`.
 * The endpoint survives every fault: it reconnects by itself.
 */
export async function startChaosStack(options: { aof?: boolean; endpointTimeoutMs: number }): Promise<ChaosStack> {
  const dataDir = options.aof ? mkdtempSync(path.join(tmpdir(), 'chaos-redis-')) : undefined
  let redis = await startRedisServer({ dataDir })
  const token = randomBytes(24).toString('base64url')
  // The endpoint reaches redis-server through a latency proxy (the "slow" fault); restarts keep the port.
  const latency = await startLatencyProxy(redis.port)
  const viaProxy = new URL(redis.endpointUrl)
  viaProxy.port = String(latency.port)
  const endpoint = await startEndpoint({
    redisUrl: viaProxy.toString(),
    port: 0,
    token,
    timeoutMs: options.endpointTimeoutMs,
  })
  const t0 = performance.now()
  const faults: ChaosStack['faults'] = []
  const exited = (p: ChildProcess) =>
    p.exitCode !== null || p.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => p.once('exit', () => r()))
  const note = (name: string, started: number) =>
    faults.push({ name, atMs: Math.round(started - t0), durationMs: Math.round(performance.now() - started) })
  const stack: ChaosStack = {
    get redis() {
      return redis
    },
    endpoint,
    env: {
      UPSTASH_REDIS_REST_URL: endpoint.url,
      UPSTASH_REDIS_REST_TOKEN: token,
      REDIS_ENABLED: 'true',
      UPSTASH_DISABLE_TELEMETRY: 'true',
    },
    adminUrl: () => redis.url,
    faults,
    elapsed: () => performance.now() - t0,
    async freeze(ms) {
      const started = performance.now()
      redis.process.kill('SIGSTOP')
      try {
        await sleep(ms) // the fault itself
      } finally {
        redis.process.kill('SIGCONT')
      }
      note(`freeze ${ms} ms`, started)
    },
    async pause(ms) {
      const started = performance.now()
      const admin = await directClient(redis.url)
      try {
        await admin.sendCommand(['CLIENT', 'PAUSE', String(ms), 'ALL'])
      } finally {
        await admin.close().catch(() => {})
      }
      await sleep(ms) // the fault itself
      note(`CLIENT PAUSE ${ms} ms`, started)
    },
    async slow(ms, delayMs) {
      const started = performance.now()
      latency.setDelay(delayMs)
      try {
        await sleep(ms) // the fault itself
      } finally {
        latency.setDelay(0)
      }
      note(`slow +${delayMs} ms each way for ${ms} ms`, started)
    },
    async kill() {
      const started = performance.now()
      const gone = exited(redis.process)
      redis.process.kill('SIGKILL')
      await gone
      note('SIGKILL', started)
    },
    async stopGracefully() {
      const started = performance.now()
      await redis.stop()
      note('SIGTERM', started)
    },
    async start({ empty = false } = {}) {
      const started = performance.now()
      if (empty && dataDir) rmSync(path.join(dataDir, 'appendonlydir'), { recursive: true, force: true })
      // Empty: its AOF thrown away, a fresh one started (so later SIGKILL restarts keep what was written since).
      redis = await startRedisServer({ port: redis.port, credentials: redis.credentials, dataDir })
      note(empty ? 'restart empty' : dataDir ? 'restart (AOF)' : 'restart', started)
    },
    async stop() {
      await endpoint.close()
      await latency.close()
      await redis.stop()
      if (dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return stack
}

/** Rounds for printing. */
const r = (n: number) => (Number.isFinite(n) ? Math.round(n) : n)

export interface Sample {
  op: string
  ms: number
  outcome: string
  startedAt: number
}

/** Every operation's wall time and outcome, per operation kind. */
export class Recorder {
  readonly samples: Sample[] = []
  constructor(readonly scenario: string) {}

  /** Times `fn`; `classify` turns its result (or error) into an outcome label ("200", "BYPASS", "unavailable"…). */
  async time<T>(
    op: string,
    fn: () => Promise<T>,
    classify: (result: T | undefined, error: unknown) => string,
  ): Promise<{ result?: T; error?: unknown; ms: number }> {
    const startedAt = performance.now()
    try {
      const result = await fn()
      const ms = performance.now() - startedAt
      this.samples.push({ op, ms, outcome: classify(result, undefined), startedAt })
      return { result, ms }
    } catch (error) {
      const ms = performance.now() - startedAt
      this.samples.push({ op, ms, outcome: classify(undefined, error), startedAt })
      return { error, ms }
    }
  }

  max(op?: string): number {
    return Math.max(0, ...this.samples.filter((s) => !op || s.op === op).map((s) => s.ms))
  }

  /** Set by the test: time origin for printing `@… ms` (e.g. the stack's, so faults and samples line up). */
  origin = 0

  slowest(op?: string, n = 3): Sample[] {
    return this.samples
      .filter((s) => !op || s.op === op)
      .sort((a, b) => b.ms - a.ms)
      .slice(0, n)
  }

  /** One line per operation: count, p50, p99, max, outcomes. */
  table(extra: Record<string, string | number> = {}): string {
    const ops = [...new Set(this.samples.map((s) => s.op))]
    const rows = ops.map((op) => {
      const ms = this.samples
        .filter((s) => s.op === op)
        .map((s) => s.ms)
        .sort((a, b) => a - b)
      const pct = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!
      const outcomes = new Map<string, number>()
      for (const s of this.samples.filter((x) => x.op === op))
        outcomes.set(s.outcome, (outcomes.get(s.outcome) ?? 0) + 1)
      const by = [...outcomes]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k}:${v}`)
        .join(' ')
      return `| ${op} | ${ms.length} | ${r(pct(0.5))} | ${r(pct(0.99))} | ${r(ms.at(-1)!)} | ${by} |`
    })
    const lines = [
      `\n### chaos: ${this.scenario}${FULL ? ' (full)' : ' (short)'}`,
      '| operation | requests | p50 ms | p99 ms | max ms | outcomes |',
      '| --- | ---: | ---: | ---: | ---: | --- |',
      ...rows,
    ]
    for (const [k, v] of Object.entries(extra)) lines.push(`- ${k}: ${v}`)
    return lines.join('\n')
  }
}

/** Runs `worker(i)` in `n` loops until `stop` resolves; returns when every loop has finished its current step. */
export async function loadUntil(
  stop: Promise<unknown>,
  n: number,
  step: (i: number) => Promise<unknown>,
): Promise<void> {
  let done = false
  void stop.finally(() => (done = true))
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      while (!done) {
        await step(i)
        // Yield to the event loop (a failing step may answer synchronously fast): not a synchronisation wait.
        await new Promise((resolve) => setImmediate(resolve))
      }
    }),
  )
}

export { startWorker, type Worker, type WorkerEvent } from '../support/worker-process'

/** Calls of an INFO commandstats counter on the current redis-server (e.g. the worker's empty polls: zrange … BYSCORE). */
export async function commandCalls(adminUrl: string, command: string): Promise<number> {
  const c = await directClient(adminUrl)
  try {
    const info = (await c.sendCommand(['INFO', 'commandstats'])) as string
    const m = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)
    return m ? Number(m[1]) : 0
  } finally {
    await c.close()
  }
}
