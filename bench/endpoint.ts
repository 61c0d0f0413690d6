/**
 * npm run bench:endpoint — @upstash/redis → local endpoint → Redis versus node-redis → the same Redis.
 *
 * Starts a private redis-server and the endpoint as a separate process (`tsx scripts/upstash-local.ts`),
 * then measures single GET/SET at concurrency 1 and 50 (the @upstash/redis client with auto-pipelining
 * off and on) and pipelines of 100 commands. Prints a table with endpoint/direct ratios and saves it
 * (markdown + json) under bench/results/.
 *
 * A reference row, **null server**, is @upstash/redis against a stub HTTP server (also a separate
 * process) that parses each request and answers constants without touching Redis: the ceiling any HTTP
 * endpoint can reach with this client on this machine.
 *
 * Env: BENCH_SECONDS (per case, default 3), BENCH_WARMUP_SECONDS (default 1), BENCH_CASES and
 * BENCH_CLIENTS (regexes on case and client names; direct always runs, as the reference), BENCH_ENDPOINT_NODE_ARGS (extra node flags for the endpoint process, e.g. "--cpu-prof"),
 * BENCH_ENDPOINT_ARGS (extra endpoint flags, e.g. "--pool 2").
 */
import { spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import path from 'node:path'
import { Redis } from '@upstash/redis'
import { createClient } from 'redis'
import { startRedisServer, type OwnRedisServer } from '@/upstash-local'
import { loadAvg, machineInfo, percentile, spawnReady, stopChild, type MachineInfo } from './support'

/** What `runEndpointBench` measures (defaults: the env variables above, as `npm run bench:endpoint` runs it). */
export interface EndpointBenchOptions {
  /** Seconds measured per case and client, after `warmupSeconds` of the same calls. */
  seconds?: number
  warmupSeconds?: number
  /** Cases and clients to run (regexes on their names); direct always runs, as the reference. */
  cases?: RegExp
  clients?: RegExp
  /** A finer filter (e.g. auto-pipelining off at c=1, on at c=50); direct always runs. */
  pick?: (caseName: string, clientName: string) => boolean
  /** Save bench/results/endpoint-<date>.{md,json} (default true). */
  save?: boolean
  /** Print each row and the table (default true). */
  log?: boolean
}
const KEYS = 1000
const VALUE = 'v'.repeat(64)
const PIPELINE = 100
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100

type Op = () => Promise<unknown>

export interface EndpointRow {
  case: string
  client: string
  /** Operations (for pipelines: commands) per second. */
  opsPerSec: number
  p50Ms: number
  p99Ms: number
  /** opsPerSec / the direct client's opsPerSec in the same case. */
  ratio: number
  /** For endpoint rows: opsPerSec / the null server's with the same client settings (how close to the ceiling). */
  vsNull?: number
  /** CPU of the benchmark process (the clients) and of the server process, in % of one core. */
  clientCpuPct: number
  serverCpuPct?: number
}

/** Runs `op` from `concurrency` loops for `seconds`, recording each call's latency (ms, sorted). */
async function measure(op: Op, concurrency: number, seconds: number) {
  const latencies: number[] = []
  const start = performance.now()
  const deadline = start + seconds * 1000
  const worker = async () => {
    while (performance.now() < deadline) {
      const t = performance.now()
      await op()
      latencies.push(performance.now() - t)
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return {
    ops: latencies.length,
    seconds: (performance.now() - start) / 1000,
    latencies: Float64Array.from(latencies).sort(),
  }
}

/** utime+stime of a process in seconds, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    // Fields after "(comm) ": utime is [11], stime [12], in clock ticks.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return undefined
  }
}

/**
 * The stub server (run as `bench/endpoint.ts --null-server`): reads and parses each body like an
 * endpoint must, answers `{"result": base64(VALUE)}` per command, never touches Redis.
 */
function runNullServer(): void {
  const value = Buffer.from(VALUE).toString('base64')
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as unknown[]
      const one = { result: value }
      const payload = JSON.stringify(req.url === '/pipeline' ? body.map(() => one) : one)
      res.writeHead(200, { 'content-type': 'application/json', 'upstash-sync-token': '1' })
      res.end(payload)
    })
  })
  server.listen(0, '127.0.0.1', () =>
    console.log(`NULL_SERVER=http://127.0.0.1:${(server.address() as { port: number }).port}`),
  )
  process.on('SIGTERM', () => process.exit(0))
}

const fmt = (n: number | undefined, digits = 0) =>
  n !== undefined && Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : ''

export type EndpointInfo = MachineInfo & { secondsPerCase: number; loadAvgAfter: number[] }
type Info = EndpointInfo

function toMarkdown(info: Info, rows: EndpointRow[], verdicts: string[]): string {
  return [
    `# Endpoint benchmark, ${info.date}`,
    '',
    `Machine: ${info.cpu} × ${info.cpuCount}, ${info.memoryGb} GB, ${info.os}; Node ${info.node}; ${info.redis}.`,
    `Load average before ${info.loadAvgBefore.join(' / ')}, after ${info.loadAvgAfter.join(' / ')}. ${info.secondsPerCase} s per case after warm-up.`,
    '',
    '- **direct**: node-redis v5 over TCP to Redis (it pipelines concurrent calls on its one connection).',
    '- **endpoint**: @upstash/redis → the local endpoint (a separate process) → the same Redis; `auto off` = `enableAutoPipelining: false`',
    '  (one HTTP request per call), `auto on` = `enableAutoPipelining: true` (the default: concurrent calls batched into one POST /pipeline).',
    '- **null server**: @upstash/redis → a stub HTTP server that parses the request and answers constants, no Redis: the ceiling for any endpoint with this client.',
    `- pipelines: \`pipeline().exec()\` (POST /pipeline) / \`multi().execAsPipeline()\` of ${PIPELINE} commands (SET+GET pairs); ops/s counts commands.`,
    '- CPU: % of one core used by the benchmark process (all clients) and by the server process (endpoint or stub) during the case.',
    '',
    '| case | client | ops/s | p50 ms | p99 ms | vs direct | vs null server | client CPU % | server CPU % |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.case} | ${r.client} | ${fmt(r.opsPerSec)} | ${fmt(r.p50Ms, 3)} | ${fmt(r.p99Ms, 3)} | ${r.client === 'direct' ? '' : `${fmt(r.ratio * 100)} %`} | ${r.vsNull === undefined ? '' : `${fmt(r.vsNull * 100)} %`} | ${fmt(r.clientCpuPct)} | ${fmt(r.serverCpuPct)} |`,
    ),
    '',
    'Targets (issue 2):',
    ...verdicts.map((v) => `- ${v}`),
    '',
  ].join('\n')
}

interface Client {
  name: string
  get(k: string): Promise<unknown>
  set(k: string): Promise<unknown>
  pipeline(): Promise<unknown>
  /** The server process whose CPU is reported (none for direct). */
  serverPid?: number
}

function upstashClient(name: string, url: string, token: string, auto: boolean, serverPid: number | undefined): Client {
  const r = new Redis({
    url,
    token,
    enableTelemetry: false,
    enableAutoPipelining: auto,
    automaticDeserialization: false,
  })
  return {
    name,
    serverPid,
    get: (k) => r.get(k),
    set: (k) => r.set(k, VALUE),
    pipeline: () => {
      const p = r.pipeline()
      for (let i = 0; i < PIPELINE / 2; i++) p.set(`bench:p:${i}`, VALUE).get(`bench:p:${i}`)
      return p.exec()
    },
  }
}

function verdictsFor(rows: EndpointRow[]): string[] {
  const out: string[] = []
  const find = (cs: string, client: string) => rows.find((r) => r.case === cs && r.client === client)
  for (const cs of ['GET c=50', 'SET c=50']) {
    for (const client of ['endpoint, auto off', 'endpoint, auto on']) {
      const r = find(cs, client)
      const ceiling = find(cs, client.replace('endpoint', 'null server'))
      if (!r) continue
      const note = ceiling
        ? ` (null server: ${fmt(ceiling.ratio * 100)} % of direct, so ${fmt((r.vsNull ?? NaN) * 100)} % of the reachable)`
        : ''
      out.push(
        `${cs}, ${client}: ${fmt(r.ratio * 100)} % of direct (target ≥ 60 %), p99 ${fmt(r.p99Ms, 2)} ms (≤ 10): ${r.ratio >= 0.6 && r.p99Ms <= 10 ? 'met' : 'NOT met'}${note}`,
      )
    }
  }
  for (const cs of ['GET c=1', 'SET c=1']) {
    const r = find(cs, 'endpoint, auto off')
    if (r)
      out.push(`${cs}, ${r.client}: p50 ${fmt(r.p50Ms, 3)} ms (target ≤ 0.5): ${r.p50Ms <= 0.5 ? 'met' : 'NOT met'}`)
  }
  for (const cs of [`pipeline×${PIPELINE} c=1`, `pipeline×${PIPELINE} c=8`]) {
    const r = find(cs, 'endpoint')
    if (r)
      out.push(
        `${cs}: ${fmt(r.opsPerSec)} commands/s (target ≥ 150,000): ${r.opsPerSec >= 150_000 ? 'met' : 'NOT met'}`,
      )
  }
  return out
}

export interface EndpointBenchResult {
  machine: EndpointInfo
  rows: EndpointRow[]
  verdicts: string[]
  markdown: string
}

/** Runs the endpoint benchmark (its own redis-server, endpoint and null server), returns the rows and the table. */
export async function runEndpointBench(options: EndpointBenchOptions = {}): Promise<EndpointBenchResult> {
  const SECONDS = options.seconds ?? Number(process.env.BENCH_SECONDS ?? 3)
  const WARMUP_SECONDS = options.warmupSeconds ?? Number(process.env.BENCH_WARMUP_SECONDS ?? 1)
  const CASES = options.cases ?? new RegExp(process.env.BENCH_CASES ?? '.')
  const CLIENTS = options.clients ?? new RegExp(process.env.BENCH_CLIENTS ?? '.')
  const pick = options.pick ?? (() => true)
  const log = options.log === false ? () => {} : console.log
  let redisServer: OwnRedisServer | undefined
  let endpoint: ChildProcess | undefined
  let nullServer: ChildProcess | undefined
  let direct: ReturnType<typeof createClient> | undefined
  try {
    const info = { ...machineInfo(), secondsPerCase: SECONDS }
    redisServer = await startRedisServer()
    const token = randomBytes(24).toString('base64url')
    const ep = await spawnReady(
      [
        'scripts/upstash-local.ts',
        // Port 0: the OS picks a free one (no race with other processes); the CLI prints the URL.
        ...['--redis-url', redisServer.url, '--port', '0', `--token=${token}`],
        ...(process.env.BENCH_ENDPOINT_ARGS ?? '').split(' ').filter(Boolean),
      ],
      /UPSTASH_REDIS_REST_URL=(\S+)\s+UPSTASH_REDIS_REST_TOKEN=/,
    )
    endpoint = ep.child
    const ns = await spawnReady(['bench/endpoint.ts', '--null-server'], /NULL_SERVER=(\S+)/)
    nullServer = ns.child
    const dc = createClient({ url: redisServer.url })
    direct = dc
    dc.on('error', (err: Error) => console.error('direct client:', err.message))
    await dc.connect()
    for (let i = 0; i < KEYS; i++) await dc.set(`bench:k:${i}`, VALUE)

    const directClient: Client = {
      name: 'direct',
      get: (k) => dc.get(k),
      set: (k) => dc.set(k, VALUE),
      pipeline: () => {
        const m = dc.multi()
        for (let i = 0; i < PIPELINE / 2; i++) m.set(`bench:p:${i}`, VALUE).get(`bench:p:${i}`)
        return m.execAsPipeline()
      },
    }
    const url = ep.match[1]!
    const single = [
      directClient,
      upstashClient('endpoint, auto off', url, token, false, endpoint.pid),
      upstashClient('endpoint, auto on', url, token, true, endpoint.pid),
      upstashClient('null server, auto off', ns.match[1]!, token, false, nullServer.pid),
      upstashClient('null server, auto on', ns.match[1]!, token, true, nullServer.pid),
    ]
    const pipelined = [
      directClient,
      upstashClient('endpoint', url, token, false, endpoint.pid),
      upstashClient('null server', ns.match[1]!, token, false, nullServer.pid),
    ]
    let n = 0
    const nextKey = () => `bench:k:${n++ % KEYS}`
    const cases: { name: string; concurrency: number; perOp: number; clients: Client[]; op: (c: Client) => Op }[] = [
      { name: 'GET c=1', concurrency: 1, perOp: 1, clients: single, op: (c) => () => c.get(nextKey()) },
      { name: 'SET c=1', concurrency: 1, perOp: 1, clients: single, op: (c) => () => c.set(nextKey()) },
      { name: 'GET c=50', concurrency: 50, perOp: 1, clients: single, op: (c) => () => c.get(nextKey()) },
      { name: 'SET c=50', concurrency: 50, perOp: 1, clients: single, op: (c) => () => c.set(nextKey()) },
      {
        name: `pipeline×${PIPELINE} c=1`,
        concurrency: 1,
        perOp: PIPELINE,
        clients: pipelined,
        op: (c) => () => c.pipeline(),
      },
      {
        name: `pipeline×${PIPELINE} c=8`,
        concurrency: 8,
        perOp: PIPELINE,
        clients: pipelined,
        op: (c) => () => c.pipeline(),
      },
    ]
    log(`bench: ${info.cpu} × ${info.cpuCount}, load ${info.loadAvgBefore.join(' ')}, ${SECONDS} s per case`)

    // Before any case: every client (and so each server process) runs its code paths until the JIT has
    // settled, so the first case measured is not penalised.
    const used = new Set(
      cases
        .filter((c) => CASES.test(c.name))
        .flatMap((cs) =>
          cs.clients.filter((c) => c === directClient || (CLIENTS.test(c.name) && pick(cs.name, c.name))),
        ),
    )
    for (const c of [...single, ...pipelined].filter((c) => used.has(c))) {
      await measure(() => Promise.all([c.get(nextKey()), c.set(nextKey())]), 8, WARMUP_SECONDS)
      await measure(() => c.pipeline(), 2, WARMUP_SECONDS / 2)
    }

    const rows: EndpointRow[] = []
    for (const cs of cases.filter((c) => CASES.test(c.name))) {
      let directOps = NaN
      for (const c of cs.clients.filter((c) => c === directClient || (CLIENTS.test(c.name) && pick(cs.name, c.name)))) {
        const op = cs.op(c)
        await measure(op, cs.concurrency, WARMUP_SECONDS)
        const server0 = cpuSeconds(c.serverPid)
        const client0 = process.cpuUsage()
        const s = await measure(op, cs.concurrency, SECONDS)
        const client1 = process.cpuUsage(client0)
        const server1 = cpuSeconds(c.serverPid)
        const opsPerSec = (s.ops * cs.perOp) / s.seconds
        if (c === directClient) directOps = opsPerSec
        const row: EndpointRow = {
          case: cs.name,
          client: c.name,
          opsPerSec,
          p50Ms: percentile(s.latencies, 50),
          p99Ms: percentile(s.latencies, 99),
          ratio: opsPerSec / directOps,
          clientCpuPct: (client1.user + client1.system) / 1e4 / s.seconds,
          serverCpuPct:
            server0 === undefined || server1 === undefined ? undefined : ((server1 - server0) / s.seconds) * 100,
        }
        rows.push(row)
        log(
          `${row.case.padEnd(17)} ${row.client.padEnd(22)} ${fmt(row.opsPerSec).padStart(9)} ops/s  p50 ${fmt(row.p50Ms, 3)}  p99 ${fmt(row.p99Ms, 3)} ms` +
            `  ${c === directClient ? '     ' : `${fmt(row.ratio * 100).padStart(3)} %`}  cpu client ${fmt(row.clientCpuPct)} % server ${fmt(row.serverCpuPct)} %`,
        )
      }
    }

    for (const r of rows) {
      if (!r.client.startsWith('endpoint')) continue
      const ceiling = rows.find((n) => n.case === r.case && n.client === r.client.replace('endpoint', 'null server'))
      if (ceiling) r.vsNull = r.opsPerSec / ceiling.opsPerSec
    }
    const verdicts = verdictsFor(rows)
    const full: Info = { ...info, loadAvgAfter: loadAvg() }
    const md = toMarkdown(full, rows, verdicts)
    log(`\n${md}`)
    if (options.save !== false) {
      const dir = path.resolve('bench/results')
      mkdirSync(dir, { recursive: true })
      const stamp = full.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')
      writeFileSync(path.join(dir, `endpoint-${stamp}.md`), md)
      writeFileSync(
        path.join(dir, `endpoint-${stamp}.json`),
        `${JSON.stringify({ machine: full, rows, verdicts }, null, 2)}\n`,
      )
      log(`saved bench/results/endpoint-${stamp}.md and .json`)
    }
    return { machine: full, rows, verdicts, markdown: md }
  } finally {
    if (direct?.isOpen) await direct.close()
    await stopChild(endpoint)
    await stopChild(nullServer)
    await redisServer?.stop()
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--null-server')) return runNullServer()
  await runEndpointBench()
}

// Run directly (npm run bench:endpoint, or the null server child); imported by bench/all.ts.
if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
