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
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/upstash-local.ts', '--redis-url', redis.url, '--port', '0', '--token', token], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const endpoint = child
    // However the benchmark ends, the endpoint must not outlive it.
    const kill = () => endpoint.kill('SIGTERM')
    process.once('exit', kill)
    endpoint.once('exit', () => process.off('exit', kill))
    const url = await new Promise<string>((resolve, reject) => {
      let out = ''
      const onExit = (code: number | null) => reject(new Error(`the endpoint exited with code ${code} before it was ready:\n${out}`))
      endpoint.once('exit', onExit)
      endpoint.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /UPSTASH_REDIS_REST_URL=(\S+)/.exec(out)
        if (m) {
          endpoint.off('exit', onExit)
          resolve(m[1]!)
        }
      })
    })
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

function stopChild(child: ChildProcess | undefined): Promise<void> {
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
    redis: spawnSync('redis-server', ['--version']).stdout?.toString().trim().split(' ').slice(0, 3).join(' ') ?? 'unknown',
    loadAvgBefore: loadAvg(),
  }
}

export const loadAvg = (): number[] => os.loadavg().map((l) => Number(l.toFixed(2)))
