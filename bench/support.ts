/**
 * Pieces shared by benchmarks: a private redis-server with the local endpoint running as a separate
 * process (so the benchmark process does not also serve HTTP), percentiles, and machine info.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import os from 'node:os'
import { startRedisServer } from '@/upstash-local'

export interface BenchStack {
  /** UPSTASH_REDIS_REST_URL / _TOKEN of the endpoint, REDIS_URL of the redis-server behind it. */
  env: { UPSTASH_REDIS_REST_URL: string; UPSTASH_REDIS_REST_TOKEN: string; REDIS_URL: string }
  endpointPid: number | undefined
  stop(): Promise<void>
}

/** Starts redis-server (free port) and `tsx scripts/upstash-local.ts` against it (port 0: the OS picks one). */
export async function startBenchStack(): Promise<BenchStack> {
  const redis = await startRedisServer()
  const token = randomBytes(24).toString('base64url')
  let child: ChildProcess | undefined
  try {
    // `--token=…`: a base64url token may start with '-', which the argument parser would take for an option.
    const ready = await spawnReady(
      ['scripts/upstash-local.ts', '--redis-url', redis.url, '--port', '0', `--token=${token}`],
      /UPSTASH_REDIS_REST_URL=(\S+)/,
    )
    child = ready.child
    const endpoint = child
    const url = ready.match[1]!
    return {
      env: { UPSTASH_REDIS_REST_URL: url, UPSTASH_REDIS_REST_TOKEN: token, REDIS_URL: redis.url },
      endpointPid: endpoint.pid,
      async stop() {
        await stopChild(endpoint)
        await redis.stop()
      },
    }
  } catch (err) {
    await stopChild(child)
    await redis.stop()
    throw err
  }
}

/**
 * Spawns `node [BENCH_ENDPOINT_NODE_ARGS] --import tsx <args>` and resolves with the first stdout match of
 * `ready`. However the benchmark ends (error, closed stdout), the child does not outlive it.
 */
export async function spawnReady(
  args: string[],
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const extra = (process.env.BENCH_ENDPOINT_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const stop = () => child.kill('SIGTERM')
  process.once('exit', stop)
  child.once('exit', () => process.off('exit', stop))
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    let out = ''
    const onExit = (code: number | null) =>
      reject(new Error(`${args.join(' ')} exited with code ${code} before it was ready:\n${out}`))
    child.once('exit', onExit)
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const m = ready.exec(out)
      if (m) {
        child.off('exit', onExit)
        resolve(m)
      }
    })
  })
  return { child, match }
}

/** SIGTERM, then waits for the child to exit. */
export function stopChild(child: ChildProcess | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })
}

/** The p-th percentile (nearest rank) of latencies already sorted ascending. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!
}

export interface MachineInfo {
  date: string
  cpu: string
  cpuCount: number
  memoryGb: number
  os: string
  node: string
  redis: string
  /** 1/5/15-minute load averages when the run started (other agents' tests may share the cores). */
  loadAvgBefore: number[]
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus()
  return {
    date: new Date().toISOString(),
    cpu: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    redis:
      spawnSync('redis-server', ['--version']).stdout?.toString().trim().split(' ').slice(0, 3).join(' ') ?? 'unknown',
    loadAvgBefore: loadAvg(),
  }
}

export const loadAvg = (): number[] => os.loadavg().map((l) => Number(l.toFixed(2)))
