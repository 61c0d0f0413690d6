/**
 * `npx tsx bench/queue.ts [--quick]` (also part of `npm run bench`): our queue over REST against BullMQ over TCP,
 * on one private redis-server.
 *  - ours: `createQueue` (reserve / ack, leases) through @upstash/redis → the local endpoint → redis-server, each
 *    worker an app instance of its own (own context, own HTTP client); workers run `runWorker`, the loop
 *    scripts/worker.ts runs;
 *  - BullMQ 6: `Queue` + `Worker`s on ioredis straight to the same redis-server (its admin URL; Upstash serves TCP
 *    too), set up as its "going to production" docs say: workers' connections with `maxRetriesPerRequest: null`,
 *    completed jobs removed (`removeOnComplete: true`, as our ack deletes the job), failed ones kept (last 1 000).
 * Measures: jobs/s through push → process → ack (producers and workers running together), billed commands per job
 * (INFO commandstats deltas: BullMQ's Lua scripts count 1 + every command they run, as Upstash bills; idle polls and
 * lock renewals included), and jobs lost or completed twice when 1 consumer in 10 dies holding its job.
 * A dying BullMQ consumer = a Worker force-closed (`close(true)`) while its processor never returns: no completion,
 * no more lock renewals, as a killed process; the job comes back through BullMQ's stalled-job check. Both use the same
 * recovery time scale: our lease = BullMQ's `lockDuration` = LEASE_MS, BullMQ's `stalledInterval` = LEASE_MS
 * (defaults are 30 s; shortened for the run, the lock renewed every lockDuration / 2, its default).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Queue as BullQueue, Worker as BullWorker, type Job } from 'bullmq'
import { Redis as IoRedis } from 'ioredis'
import { createContext, createQueue, runWorker, type Queue } from '@/lib/upstash'
import { billedCommands } from '../testing/redis-direct'
import { loadAvg, machineInfo, startBenchStack, type BenchStack, type MachineInfo } from './support'

export const QUEUE_SETTINGS = {
  full: { jobs: 2000, workers: 4, producers: 50 },
  quick: { jobs: 500, workers: 4, producers: 50 },
  crash: { jobs: 500, consumers: 10, crashEvery: 10, deadlineMs: 30_000 },
  LEASE_MS: 1000,
}

export interface ThroughputRun {
  jobs: number
  completed: number
  duplicates: number
  seconds: number
  jobsPerSec: number
  billedPerJob: number
  byCommand: Record<string, number>
}

export interface QueueCrashRun {
  completed: number
  lost: number
  duplicates: number
  /** Jobs the queue gave up on (BullMQ: stalled more than maxStalledCount; ours: dead-lettered). */
  failed: number
  crashes: number
  drainMs: number
  billedPerJob: number
}

export interface QueueBenchResult {
  machine: MachineInfo & { loadAvgAfter: number[]; seconds: number }
  throughput: { ours: ThroughputRun; bullmq: ThroughputRun }
  crash: { ours: QueueCrashRun; bullmq: QueueCrashRun }
  markdown: string
}

const ctxEnvOf = (stack: BenchStack) => ({
  ...stack.env,
  REDIS_KEY_PREFIX: 'bench-q',
  REDIS_TIMEOUT_MS: '10000',
  UPSTASH_DISABLE_TELEMETRY: 'true',
})

/** Runs `fn` for i = 0…n-1 with at most `concurrency` in flight. */
async function pool(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await fn(next++)
    }),
  )
}

/** Resolves once `done()` holds (checked every 5 ms) or throws after `ms`. */
async function until(done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`bench: ${what} not done in ${ms} ms`)
    await sleep(5)
  }
}

const bullConnection = (url: string) => new IoRedis(url, { maxRetriesPerRequest: null })

// ─── throughput ──────────────────────────────────────────────────────────────────────────────────

async function oursThroughput(
  stack: BenchStack,
  jobs: number,
  workers: number,
  producers: number,
  name: string,
): Promise<ThroughputRun> {
  const ctxEnv = ctxEnvOf(stack)
  const producer = createQueue(createContext(ctxEnv))
  const queues: Queue[] = Array.from({ length: workers }, () => createQueue(createContext(ctxEnv)))
  // Warm: connections open, scripts loaded in every instance.
  for (const q of [producer, ...queues]) {
    await q.push(`${name}-warm`, { warm: true })
    const j = await q.reserve(`${name}-warm`)
    if (j) await q.ack(`${name}-warm`, j)
  }
  const done = new Map<number, number>()
  const abort = new AbortController()
  let t0 = 0
  let seconds = 0
  const { total, byCommand } = await billedCommands(stack.env.REDIS_URL, async () => {
    t0 = performance.now()
    const loops = queues.map((q) =>
      runWorker<{ i: number }>(q, name, async () => {}, {
        signal: abort.signal,
        minIdleMs: 5,
        maxIdleMs: 50,
        onOutcome: (o) => {
          if (o.status === 'acked') {
            const i = (o.job.data as { i: number }).i
            done.set(i, (done.get(i) ?? 0) + 1)
          }
        },
      }),
    )
    await pool(jobs, producers, (i) => producer.push(name, { i, to: 'client@example.com', template: 'welcome' }))
    try {
      await until(() => done.size >= jobs, 120_000, 'ours: throughput run')
    } finally {
      seconds = (performance.now() - t0) / 1000
      abort.abort()
      await Promise.all(loops)
    }
  })
  return {
    jobs,
    completed: done.size,
    duplicates: [...done.values()].filter((n) => n > 1).length,
    seconds,
    jobsPerSec: jobs / seconds,
    billedPerJob: total / jobs,
    byCommand,
  }
}

async function bullThroughput(
  stack: BenchStack,
  jobs: number,
  workers: number,
  producers: number,
  name: string,
): Promise<ThroughputRun> {
  const url = stack.env.REDIS_URL
  const queue = new BullQueue(name, {
    connection: new IoRedis(url),
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000 },
  })
  const done = new Map<number, number>()
  let warm = 0
  const ws = Array.from({ length: workers }, () => {
    const w = new BullWorker<{ i: number }>(name, async () => {}, { connection: bullConnection(url), concurrency: 1 })
    w.on('completed', (job: Job<{ i: number }>) => {
      if (job.data.i < 0) warm++
      else done.set(job.data.i, (done.get(job.data.i) ?? 0) + 1)
    })
    w.on('error', () => {})
    return w
  })
  try {
    await queue.waitUntilReady()
    await Promise.all(ws.map((w) => w.waitUntilReady()))
    // Warm: every worker has taken a job (scripts loaded, connections open).
    await Promise.all(Array.from({ length: workers * 4 }, () => queue.add('warm', { i: -1 })))
    await until(() => warm >= workers * 4, 30_000, 'BullMQ warm-up')
    let t0 = 0
    let seconds = 0
    const { total, byCommand } = await billedCommands(url, async () => {
      t0 = performance.now()
      await pool(jobs, producers, (i) =>
        queue.add('job', { i, to: 'client@example.com', template: 'welcome' } as never),
      )
      await until(() => done.size >= jobs, 120_000, 'BullMQ: throughput run')
      seconds = (performance.now() - t0) / 1000
    })
    return {
      jobs,
      completed: done.size,
      duplicates: [...done.values()].filter((n) => n > 1).length,
      seconds,
      jobsPerSec: jobs / seconds,
      billedPerJob: total / jobs,
      byCommand,
    }
  } finally {
    await Promise.all(ws.map((w) => w.close().catch(() => undefined)))
    await queue.close().catch(() => undefined)
  }
}

// ─── consumers dying ─────────────────────────────────────────────────────────────────────────────

/** Decides each delivery's fate: the first delivery of every crashEvery-th job kills its consumer. */
function fates() {
  const { crashEvery } = QUEUE_SETTINGS.crash
  const crashed = new Set<number>()
  const done = new Map<number, number>()
  return {
    crashed,
    done,
    dies(i: number): boolean {
      if (i % crashEvery !== 0 || crashed.has(i)) return false
      crashed.add(i)
      return true
    },
    complete(i: number) {
      done.set(i, (done.get(i) ?? 0) + 1)
    },
  }
}

async function oursCrash(stack: BenchStack, name: string): Promise<QueueCrashRun> {
  const { jobs, consumers, deadlineMs } = QUEUE_SETTINGS.crash
  const ctxEnv = ctxEnvOf(stack)
  const producer = createQueue(createContext(ctxEnv), { maxAttempts: 10 })
  await pool(jobs, 50, (i) => producer.push(name, { i }))
  const f = fates()
  const started = Date.now()
  const deadline = started + deadlineMs
  let dead = 0
  /** One app instance's consumer; it "dies" (stops without acking) on a fatal job and a new instance replaces it. */
  const consumer = async (): Promise<void> => {
    const q = createQueue(createContext(ctxEnv), { maxAttempts: 10 })
    while (f.done.size < jobs && Date.now() < deadline) {
      const job = await q.reserve<{ i: number }>(name, { visibilityTimeoutMs: QUEUE_SETTINGS.LEASE_MS })
      if (!job) {
        await sleep(25)
        continue
      }
      if (f.dies(job.data.i)) return consumer() // this instance is gone (no ack, no heartbeat); a fresh one starts
      if (await q.ack(name, job)) f.complete(job.data.i)
    }
  }
  const { total } = await billedCommands(stack.env.REDIS_URL, () =>
    Promise.all(Array.from({ length: consumers }, consumer)),
  )
  dead = (await producer.stats(name)).dead
  return {
    completed: f.done.size,
    lost: jobs - f.done.size,
    duplicates: [...f.done.values()].filter((n) => n > 1).length,
    failed: dead,
    crashes: f.crashed.size,
    drainMs: Date.now() - started,
    billedPerJob: total / jobs,
  }
}

async function bullCrash(stack: BenchStack, name: string): Promise<QueueCrashRun> {
  const { jobs, consumers, deadlineMs } = QUEUE_SETTINGS.crash
  const url = stack.env.REDIS_URL
  const queue = new BullQueue(name, {
    connection: new IoRedis(url),
    defaultJobOptions: { removeOnComplete: true, removeOnFail: 1000 },
  })
  await queue.waitUntilReady()
  await queue.addBulk(Array.from({ length: jobs }, (_, i) => ({ name: 'job', data: { i } })))
  const f = fates()
  const workers: BullWorker[] = []
  let failed = 0
  const startWorker = () => {
    const w: BullWorker<{ i: number }> = new BullWorker<{ i: number }>(
      name,
      async (job) => {
        if (f.dies(job.data.i)) {
          // This consumer dies holding the job: no completion, no more lock renewals; another one takes its place.
          void w.close(true).catch(() => undefined)
          startWorker()
          return new Promise<never>(() => {})
        }
      },
      {
        connection: bullConnection(url),
        concurrency: 1,
        lockDuration: QUEUE_SETTINGS.LEASE_MS,
        stalledInterval: QUEUE_SETTINGS.LEASE_MS,
      },
    )
    w.on('completed', (job: Job<{ i: number }>) => f.complete(job.data.i))
    w.on('failed', () => failed++)
    w.on('error', () => {})
    workers.push(w)
  }
  const started = Date.now()
  try {
    const { total } = await billedCommands(url, async () => {
      for (let i = 0; i < consumers; i++) startWorker()
      await until(() => f.done.size >= jobs, deadlineMs, 'BullMQ crash run').catch(() => undefined)
    })
    return {
      completed: f.done.size,
      lost: jobs - f.done.size,
      duplicates: [...f.done.values()].filter((n) => n > 1).length,
      failed,
      crashes: f.crashed.size,
      drainMs: Date.now() - started,
      billedPerJob: total / jobs,
    }
  } finally {
    await Promise.all(workers.map((w) => w.close(true).catch(() => undefined)))
    await queue.close().catch(() => undefined)
  }
}

// ─── report ──────────────────────────────────────────────────────────────────────────────────────

const f2 = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '–')
const top = (byCommand: Record<string, number>, jobs: number) =>
  Object.entries(byCommand)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([c, n]) => `${c} ${f2(n / jobs)}`)
    .join(', ')

function toMarkdown(r: Omit<QueueBenchResult, 'markdown'>, quick: boolean): string {
  const { ours, bullmq } = r.throughput
  const c = r.crash
  const { crash } = QUEUE_SETTINGS
  return [
    `# Queue benchmark: ours over REST vs BullMQ over TCP, ${r.machine.date}${quick ? ' (--quick)' : ''}`,
    '',
    `Machine: ${r.machine.cpu} × ${r.machine.cpuCount}; Node ${r.machine.node}; ${r.machine.redis}; load ${r.machine.loadAvgBefore.join(' / ')} → ${r.machine.loadAvgAfter.join(' / ')}.`,
    '',
    '| measure | ours (REST) | BullMQ (TCP) | BullMQ ÷ ours |',
    '| --- | ---: | ---: | ---: |',
    `| ${ours.jobs} jobs, push → process → ack, ${QUEUE_SETTINGS.full.workers} workers: jobs/s | ${f2(ours.jobsPerSec, 0)} | ${f2(bullmq.jobsPerSec, 0)} | ${f2(bullmq.jobsPerSec / ours.jobsPerSec)}× |`,
    `| same: billed commands per job | ${f2(ours.billedPerJob)} | ${f2(bullmq.billedPerJob)} | ${f2(bullmq.billedPerJob / ours.billedPerJob)}× |`,
    `| same: completed · twice | ${ours.completed} · ${ours.duplicates} | ${bullmq.completed} · ${bullmq.duplicates} | |`,
    `| ${crash.jobs} jobs, ${crash.consumers} consumers, 1 in ${crash.crashEvery} dies holding its job: completed · lost · twice | ${c.ours.completed} · ${c.ours.lost} · ${c.ours.duplicates} | ${c.bullmq.completed} · ${c.bullmq.lost} · ${c.bullmq.duplicates} | |`,
    `| same: failed (given up) · time to drain | ${c.ours.failed} · ${c.ours.drainMs} ms | ${c.bullmq.failed} · ${c.bullmq.drainMs} ms | ${f2(c.bullmq.drainMs / c.ours.drainMs)}× |`,
    `| same: billed commands per job | ${f2(c.ours.billedPerJob)} | ${f2(c.bullmq.billedPerJob)} | ${f2(c.bullmq.billedPerJob / c.ours.billedPerJob)}× |`,
    '',
    `Billed commands per job by name (throughput run) — ours: ${top(ours.byCommand, ours.jobs)}; BullMQ: ${top(bullmq.byCommand, bullmq.jobs)}.`,
    '',
  ].join('\n')
}

export async function runQueueBench(
  options: { quick?: boolean; save?: boolean; log?: boolean } = {},
): Promise<QueueBenchResult> {
  const quick = options.quick ?? false
  const log = options.log === false ? () => {} : console.log
  const info = machineInfo()
  const t0 = performance.now()
  const { jobs, workers, producers } = quick ? QUEUE_SETTINGS.quick : QUEUE_SETTINGS.full
  const stack = await startBenchStack()
  try {
    log('queue: throughput…')
    const throughput = {
      ours: await oursThroughput(stack, jobs, workers, producers, 'tp-ours'),
      bullmq: await bullThroughput(stack, jobs, workers, producers, 'tp-bull'),
    }
    log('queue: consumers dying…')
    const crash = { ours: await oursCrash(stack, 'crash-ours'), bullmq: await bullCrash(stack, 'crash-bull') }
    const machine = { ...info, loadAvgAfter: loadAvg(), seconds: Math.round((performance.now() - t0) / 1000) }
    const partial = { machine, throughput, crash }
    const markdown = toMarkdown(partial, quick)
    log(`\n${markdown}`)
    if (options.save !== false) {
      const dir = path.resolve('bench/results')
      mkdirSync(dir, { recursive: true })
      const stamp = machine.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')
      writeFileSync(path.join(dir, `queue-${stamp}.md`), markdown)
      writeFileSync(
        path.join(dir, `queue-${stamp}.json`),
        `${JSON.stringify({ settings: QUEUE_SETTINGS, ...partial }, null, 2)}\n`,
      )
    }
    return { ...partial, markdown }
  } finally {
    await stack.stop()
  }
}

if (require.main === module) {
  runQueueBench({ quick: process.argv.includes('--quick') }).then(
    (r) => {
      const ok =
        r.throughput.ours.completed === r.throughput.ours.jobs &&
        r.crash.ours.lost === 0 &&
        r.crash.ours.duplicates === 0
      process.exit(ok ? 0 : 1)
    },
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
