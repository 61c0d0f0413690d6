/**
 * npm run bench:helpers — the seed's naive helpers (bench/naive.ts) against ours, in one run:
 *  - Redis commands per call, as billed by Upstash: the commands clients sent, from MONITOR (a Lua
 *    script's inner commands are not counted; INFO commandstats would count them);
 *  - latency p50/p99 of sequential calls after a warm-up, through the local endpoint;
 *  - correctness under concurrency: rate-limit over-admission, cache loader calls on a stampede,
 *    jobs lost when consumers die after taking them.
 * Starts its own redis-server and the endpoint (a separate process); only redis-server is required.
 * Prints one markdown table and saves it with the raw numbers under bench/results/helpers-<date>.{md,json}.
 * Env: BENCH_CALLS (sequential calls per latency series, default 300).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from '@upstash/redis'
import { createCache, createContext, createQueue, createRateLimit, type Cache, type Queue, type RateLimitFn } from '@/lib/upstash'
import { commandsSent } from '../tests/lib/commands-sent'
import { directClient } from '../tests/support/redis-direct'
import { createNaiveHelpers, type NaiveHelpers } from './naive'
import { loadAvg, machineInfo, percentile, startBenchStack, type BenchStack, type MachineInfo } from './support'

const CALLS = Number(process.env.BENCH_CALLS ?? 300)
const WARMUP_CALLS = 30
/** Latency samples of compared operations are taken in this many interleaved rounds. */
const ROUNDS = 10
/** Mixed traffic before any measurement. */
const WARMUP_SECONDS = 2
/** Calls per command count (sequential, after one warm-up call). */
const COST_CALLS = 20
const RATE_LIMIT = { calls: 300, limit: 100 }
const BOUNDARY = { limit: 100, windowSeconds: 2, beforeEndMs: 300, afterEndMs: 30 }
const STAMPEDE = { callers: 50, instances: 5, loaderMs: 50 }
const JOBS = { count: 500, consumers: 10, crashEvery: 10, visibilityTimeoutMs: 500, deadlineMs: 30_000 }

type Call = () => Promise<unknown>

/** Commands per call and latency of one operation. */
interface OpStats {
  commandsPerCall: number
  /** Commands sent over COST_CALLS calls, by name. */
  commands: Record<string, number>
  p50Ms: number
  p99Ms: number
}

interface Env {
  stack: BenchStack
  naive: NaiveHelpers
  rateLimit: RateLimitFn
  cache: Cache
  queue: Queue
  /** A fresh id for keys and identifiers, so calls never share state unless they mean to. */
  next(label: string): string
}

/** An operation to measure, and (for pops) how to put `n` jobs in place before it runs `n` times. */
type Op = Call | { call: Call; prepare: (n: number) => Promise<void> }

/**
 * Measures operations that are compared with each other. Commands: COST_CALLS sequential calls each,
 * after one warm-up call that loads scripts. Latency: CALLS sequential calls each, in ROUNDS
 * interleaved rounds (naive, ours, naive…), so a load change on the shared machine hits both sides.
 */
async function compareOps<K extends string>(env: Env, ops: Record<K, Op>): Promise<Record<K, OpStats>> {
  const entries = Object.entries(ops) as [K, Op][]
  const calls = entries.map(([name, op]) => [name, typeof op === 'function' ? op : op.call] as const)
  for (const [, op] of entries) if (typeof op !== 'function') await op.prepare(1 + COST_CALLS + WARMUP_CALLS + CALLS)

  const commands = new Map<K, Record<string, number>>()
  for (const [name, call] of calls) {
    await call()
    const sent = await commandsSent(env.stack.env.REDIS_URL, async () => {
      for (let i = 0; i < COST_CALLS; i++) await call()
    })
    const byName: Record<string, number> = {}
    for (const c of sent.commands) byName[c] = (byName[c] ?? 0) + 1
    commands.set(name, byName)
  }

  const latencies = new Map<K, number[]>(calls.map(([name]) => [name, []]))
  for (let i = 0; i < WARMUP_CALLS; i++) for (const [, call] of calls) await call()
  const perRound = Math.ceil(CALLS / ROUNDS)
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order too, so neither side always runs right after the other.
    for (const [name, call] of round % 2 ? [...calls].reverse() : calls) {
      const out = latencies.get(name)!
      for (let i = 0; i < perRound; i++) {
        const t = performance.now()
        await call()
        out.push(performance.now() - t)
      }
    }
  }

  const result = {} as Record<K, OpStats>
  for (const [name] of calls) {
    const sorted = latencies.get(name)!.sort((a, b) => a - b)
    const byName = commands.get(name)!
    const total = Object.values(byName).reduce((a, b) => a + b, 0)
    result[name] = { commandsPerCall: total / COST_CALLS, commands: byName, p50Ms: round3(percentile(sorted, 50)), p99Ms: round3(percentile(sorted, 99)) }
  }
  return result
}

/** Runs every kind of call a while before anything is measured: JIT, connections and scripts warm in both processes. */
async function warmUp(env: Env): Promise<void> {
  const until = performance.now() + WARMUP_SECONDS * 1000
  const value = { warm: true }
  while (performance.now() < until) {
    await env.naive.rateLimitGetThenIncr('warm', 1e9, 60)
    await env.rateLimit('warm', 1e9, 60)
    await env.naive.getOrSet('warm', async () => value, 60)
    await env.cache.getOrSet('warm', async () => value, { ttl: 60 })
    await env.naive.push('warm', value)
    await env.naive.pop('warm')
    await env.queue.push('warm', value)
    const job = await env.queue.reserve('warm')
    if (job) await env.queue.ack('warm', job)
  }
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000
const countTrue = (values: boolean[]) => values.filter(Boolean).length

async function sleepUntil(epochMs: number): Promise<void> {
  const wait = epochMs - Date.now()
  if (wait > 0) await sleep(wait)
}

/**
 * Two bursts of `limit` calls straddling the end of a window: a fixed window admits both (2× the limit
 * within a few hundred ms), a sliding window weighs the previous bucket and does not.
 * `first` makes the window's first call and returns when that window ends (epoch ms).
 */
async function burstAcrossBoundary(first: () => Promise<number>, call: () => Promise<boolean>) {
  const end = await first()
  const burst = async () => countTrue(await Promise.all(Array.from({ length: BOUNDARY.limit }, call)))
  await sleepUntil(end - BOUNDARY.beforeEndMs)
  const started = Date.now()
  const before = await burst()
  await sleepUntil(end + BOUNDARY.afterEndMs)
  const after = await burst()
  return { admitted: before + after, before, after, spanMs: Date.now() - started }
}

async function rateLimitSection(env: Env) {
  const { naive, rateLimit } = env
  const big = 1_000_000_000
  const ops = {
    newWindow: await compareOps(env, {
      incrExpire: () => naive.rateLimitIncrExpire(env.next('rl'), big, 3600),
      getThenIncr: () => naive.rateLimitGetThenIncr(env.next('rl'), big, 3600),
      ours: () => rateLimit(env.next('rl'), big, 3600),
    }),
    sameWindow: await compareOps(env, {
      incrExpire: () => naive.rateLimitIncrExpire('steady-a', big, 3600),
      getThenIncr: () => naive.rateLimitGetThenIncr('steady-b', big, 3600),
      ours: () => rateLimit('steady', big, 3600),
    }),
  }

  const concurrent = async (call: (id: string) => Promise<boolean>) => {
    const id = env.next('burst')
    return countTrue(await Promise.all(Array.from({ length: RATE_LIMIT.calls }, () => call(id))))
  }
  let oursUnavailable = 0
  const oursAllowed = async (id: string, limit: number, windowSeconds: number) => {
    const r = await rateLimit(id, limit, windowSeconds)
    if (r.reason) oursUnavailable++ // answered by the failure policy, not by Redis: reported, never hidden
    return r.allowed
  }
  const admitted = {
    incrExpire: await concurrent(async (id) => (await naive.rateLimitIncrExpire(id, RATE_LIMIT.limit, 60)).allowed),
    getThenIncr: await concurrent(async (id) => (await naive.rateLimitGetThenIncr(id, RATE_LIMIT.limit, 60)).allowed),
    ours: await concurrent((id) => oursAllowed(id, RATE_LIMIT.limit, 60)),
  }

  const redis = await directClient(env.stack.env.REDIS_URL)
  try {
    const { limit, windowSeconds } = BOUNDARY
    const naiveId = env.next('edge')
    const naiveBoundary = await burstAcrossBoundary(
      async () => {
        await naive.rateLimitIncrExpire(naiveId, limit, windowSeconds)
        return Date.now() + (await redis.pTTL(naive.rateLimitKey(naiveId)))
      },
      async () => (await naive.rateLimitIncrExpire(naiveId, limit, windowSeconds)).allowed,
    )
    const oursId = env.next('edge')
    const windowMs = windowSeconds * 1000
    const oursBoundary = await burstAcrossBoundary(
      async () => {
        // Start at the beginning of a bucket, so the whole window lies ahead (buckets are aligned on the epoch).
        await sleepUntil(Math.ceil(Date.now() / windowMs) * windowMs + 10)
        return (await rateLimit(oursId, limit, windowSeconds)).resetAt
      },
      () => oursAllowed(oursId, limit, windowSeconds),
    )

    // A process that dies between INCR and EXPIRE leaves a counter that never expires.
    const crashId = env.next('crash')
    await naive.rateLimitIncrExpire(crashId, 100, 60, { crashAfterIncr: true }).catch(() => undefined)
    const naiveCrashPttl = await redis.pTTL(naive.rateLimitKey(crashId))
    // Ours counts and sets the expiry inside one script: there is no point between them to die at.
    const oursCrashId = env.next('crash')
    await rateLimit(oursCrashId, 100, 60)
    const oursKeys = await redis.keys(`*{${oursCrashId}}*`)
    const oursPttls = await Promise.all(oursKeys.map((k) => redis.pTTL(k)))
    return { ops, admitted, oursUnavailable, boundary: { naive: naiveBoundary, ours: oursBoundary }, ttlAfterCrash: { naive: naiveCrashPttl, ours: oursPttls } }
  } finally {
    await redis.close()
  }
}

async function cacheSection(env: Env) {
  const { naive, cache } = env
  const value = { dossiers: Array.from({ length: 10 }, (_, i) => ({ id: `d${i}`, title: `Dossier ${i}`, status: 'OPEN' })) }
  const now = async () => value
  await naive.getOrSet('hot', now, 3600)
  await cache.getOrSet('hot', now, { ttl: 3600 })
  const ops = {
    hit: await compareOps(env, {
      naive: () => naive.getOrSet('hot', now, 3600),
      ours: () => cache.getOrSet('hot', now, { ttl: 3600 }),
    }),
    miss: await compareOps(env, {
      naive: () => naive.getOrSet(env.next('miss'), now, 3600),
      ours: () => cache.getOrSet(env.next('miss'), now, { ttl: 3600 }),
    }),
  }

  /** `callers` concurrent misses of one key, spread over `getters` (one per app instance): loader calls and commands. */
  const stampede = async (getters: ((key: string, loader: () => Promise<unknown>) => Promise<unknown>)[]) => {
    const key = env.next('stampede')
    let loaderCalls = 0
    const loader = async () => {
      loaderCalls++
      await sleep(STAMPEDE.loaderMs) // a database query
      return value
    }
    const { total } = await commandsSent(env.stack.env.REDIS_URL, () =>
      Promise.all(Array.from({ length: STAMPEDE.callers }, (_, i) => getters[i % getters.length]!(key, loader))),
    )
    return { loaderCalls, commands: total }
  }
  const ctxEnv = contextEnv(env.stack)
  const instances = Array.from({ length: STAMPEDE.instances }, () => ({
    naive: createNaiveHelpers(plainClient(env.stack), 'naive'),
    ours: createCache(createContext(ctxEnv)),
  }))
  for (const i of instances) await i.ours.getOrSet('hot', now, { ttl: 3600 }) // each instance's first call, out of the count
  return {
    ops,
    oneProcess: {
      naive: await stampede([(k, l) => naive.getOrSet(k, l, 60)]),
      ours: await stampede([(k, l) => cache.getOrSet(k, l, { ttl: 60 })]),
    },
    instances: {
      naive: await stampede(instances.map((i) => (k: string, l: () => Promise<unknown>) => i.naive.getOrSet(k, l, 60))),
      ours: await stampede(instances.map((i) => (k: string, l: () => Promise<unknown>) => i.ours.getOrSet(k, l, { ttl: 60 }))),
    },
  }
}

interface CrashRun {
  completed: number
  lost: number
  /** Jobs completed (acked) more than once. */
  duplicates: number
  /** Deliveries whose consumer died holding the job. */
  crashes: number
  deliveries: number
  drainMs: number
  commandsPerJob: number
}

/**
 * JOBS.count jobs, JOBS.consumers concurrent consumers; the consumer that takes a job whose index is
 * a multiple of JOBS.crashEvery dies on that job's first delivery (no ack), and a replacement carries on.
 */
async function crashingConsumers(env: Env, kind: 'naive' | 'ours'): Promise<CrashRun> {
  const name = env.next('jobs')
  const { naive, queue } = env
  const push = (i: number) => (kind === 'naive' ? naive.push(name, { i }) : queue.push(name, { i }))
  for (let i = 0; i < JOBS.count; i += 100) await Promise.all(Array.from({ length: Math.min(100, JOBS.count - i) }, (_, j) => push(i + j)))

  const done = new Map<number, number>()
  const crashed = new Set<number>()
  let deliveries = 0
  /** The job's fate when taken: true when its consumer dies now. */
  const dies = (i: number) => {
    deliveries++
    if (i % JOBS.crashEvery !== 0 || crashed.has(i)) return false
    crashed.add(i)
    return true
  }
  const complete = (i: number) => done.set(i, (done.get(i) ?? 0) + 1)
  const started = Date.now()
  const deadline = started + JOBS.deadlineMs

  const naiveConsumer = async () => {
    for (let job = await naive.pop<{ i: number }>(name); job; job = await naive.pop<{ i: number }>(name)) {
      if (!dies(job.i)) complete(job.i)
    }
  }
  const oursConsumer = async () => {
    while (done.size < JOBS.count && Date.now() < deadline) {
      const job = await queue.reserve<{ i: number }>(name, { visibilityTimeoutMs: JOBS.visibilityTimeoutMs })
      if (!job) {
        await sleep(25) // nothing ready: poll again, as runWorker does (crashed jobs come back when their lease ends)
        continue
      }
      if (!dies(job.data.i) && (await queue.ack(name, job))) complete(job.data.i)
    }
  }
  const { total } = await commandsSent(env.stack.env.REDIS_URL, () =>
    Promise.all(Array.from({ length: JOBS.consumers }, kind === 'naive' ? naiveConsumer : oursConsumer)),
  )
  const duplicates = [...done.values()].filter((n) => n > 1).length
  return { completed: done.size, lost: JOBS.count - done.size, duplicates, crashes: crashed.size, deliveries, drainMs: Date.now() - started, commandsPerJob: total / JOBS.count }
}

async function queueSection(env: Env) {
  const { naive, queue } = env
  const job = { to: 'client@example.com', subject: 'Welcome!', template: 'welcome' }
  /** An op that takes a job from a queue filled beforehand with as many jobs as it will take. */
  const taking = (push: (name: string, data: unknown) => Promise<unknown>, take: (name: string) => Promise<unknown>): Op => {
    const name = env.next('q')
    return {
      prepare: async (n) => {
        for (let i = 0; i < n; i += 100) await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, j) => push(name, { ...job, i: i + j })))
      },
      call: async () => {
        if ((await take(name)) === null) throw new Error('bench: a prefilled queue ran dry')
      },
    }
  }
  const ops = {
    push: await compareOps(env, {
      naive: () => naive.push('email-queue', job),
      ours: () => queue.push('email-queue', job),
    }),
    take: await compareOps(env, {
      naive: taking(naive.push, naive.pop),
      ours: taking(queue.push, queue.pop),
      reserveAck: taking(queue.push, async (name) => {
        const leased = await queue.reserve(name)
        return leased && queue.ack(name, leased)
      }),
    }),
  }
  return { ops, crash: { naive: await crashingConsumers(env, 'naive'), ours: await crashingConsumers(env, 'ours') } }
}

const contextEnv = (stack: BenchStack) => ({ ...stack.env, REDIS_KEY_PREFIX: 'bench', UPSTASH_DISABLE_TELEMETRY: 'true' })
/** What the seed does: a plain client, default JSON (de)serialisation and auto-pipelining. */
const plainClient = (stack: BenchStack) =>
  new Redis({ url: stack.env.UPSTASH_REDIS_REST_URL, token: stack.env.UPSTASH_REDIS_REST_TOKEN, enableTelemetry: false })

type Results = {
  rateLimit: Awaited<ReturnType<typeof rateLimitSection>>
  cache: Awaited<ReturnType<typeof cacheSection>>
  queue: Awaited<ReturnType<typeof queueSection>>
}

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–')
const whole = (n: number) => f(n, Number.isInteger(n) ? 0 : 2)
const ratio = (ours: number, naive: number) => (naive > 0 ? `${f(ours / naive)}×` : '')
/** e.g. "2 (INCR+EXPIRE)", "2 (EVALSHA×2)". */
const cmds = (s: OpStats) =>
  `${whole(s.commandsPerCall)} (${Object.entries(s.commands)
    .map(([c, n]) => (n === COST_CALLS ? c.toUpperCase() : `${c.toUpperCase()}×${whole(n / COST_CALLS)}`))
    .join('+')})`
const lat = (s: OpStats) => `${f(s.p50Ms)} · ${f(s.p99Ms)}`

/** One table: helper, measure, naive, ours, ours ÷ naive (against the first naive variant when there are two). */
function tableRows(r: Results): string[][] {
  const rows: string[][] = []
  const opRows = (helper: string, what: string, naive: OpStats | { A: OpStats; B: OpStats }, ours: OpStats) => {
    const variants = 'A' in naive ? Object.entries(naive) : [['', naive] as const]
    const cell = (show: (s: OpStats) => string) => variants.map(([label, s]) => `${label ? `${label}: ` : ''}${show(s)}`).join('; ')
    const base = variants[0]![1]
    rows.push([helper, `${what}: commands per call`, cell(cmds), cmds(ours), ratio(ours.commandsPerCall, base.commandsPerCall)])
    rows.push([helper, `${what}: latency p50 · p99 ms`, cell(lat), lat(ours), `${ratio(ours.p50Ms, base.p50Ms)} · ${ratio(ours.p99Ms, base.p99Ms)}`])
  }
  const rl = r.rateLimit
  opRows('rateLimit', "window's first call", { A: rl.ops.newWindow.incrExpire, B: rl.ops.newWindow.getThenIncr }, rl.ops.newWindow.ours)
  opRows('rateLimit', 'later call in the window', { A: rl.ops.sameWindow.incrExpire, B: rl.ops.sameWindow.getThenIncr }, rl.ops.sameWindow.ours)
  const { calls, limit } = RATE_LIMIT
  rows.push(['rateLimit', `${calls} concurrent calls, limit ${limit}: admitted`, `A: ${rl.admitted.incrExpire}; B: ${rl.admitted.getThenIncr}`, `${rl.admitted.ours}${rl.oursUnavailable ? ` (${rl.oursUnavailable} answered by the failure policy)` : ''}`, ''])
  const b = rl.boundary
  rows.push([
    'rateLimit',
    `2 bursts of ${BOUNDARY.limit} straddling the end of a window (limit ${BOUNDARY.limit} per ${BOUNDARY.windowSeconds} s): admitted in ~${Math.max(b.naive.spanMs, b.ours.spanMs)} ms`,
    `A: ${b.naive.admitted} (${b.naive.before} + ${b.naive.after})`,
    `${b.ours.admitted} (${b.ours.before} + ${b.ours.after})`,
    '',
  ])
  rows.push([
    'rateLimit',
    'process dies between the count and the expiry: TTL left on the counter',
    `A: PTTL ${rl.ttlAfterCrash.naive}${rl.ttlAfterCrash.naive < 0 ? ' (never expires: refused forever once at the limit)' : ''}`,
    `no such point (1 script); PTTL ${rl.ttlAfterCrash.ours.join(', ')} ms (2 windows + 1 s: the next window reads this bucket)`,
    '',
  ])

  const c = r.cache
  opRows('cache.getOrSet', 'hit', c.ops.hit.naive, c.ops.hit.ours)
  opRows('cache.getOrSet', 'miss', c.ops.miss.naive, c.ops.miss.ours)
  const { callers, instances, loaderMs } = STAMPEDE
  rows.push(['cache.getOrSet', `${callers} concurrent misses, 1 process (loader ${loaderMs} ms): loader calls (commands)`, `${c.oneProcess.naive.loaderCalls} (${c.oneProcess.naive.commands})`, `${c.oneProcess.ours.loaderCalls} (${c.oneProcess.ours.commands})`, ratio(c.oneProcess.ours.loaderCalls, c.oneProcess.naive.loaderCalls)])
  rows.push(['cache.getOrSet', `${callers} concurrent misses over ${instances} instances: loader calls (commands)`, `${c.instances.naive.loaderCalls} (${c.instances.naive.commands})`, `${c.instances.ours.loaderCalls} (${c.instances.ours.commands})`, ratio(c.instances.ours.loaderCalls, c.instances.naive.loaderCalls)])

  const q = r.queue
  opRows('queue', 'push', q.ops.push.naive, q.ops.push.ours)
  opRows('queue', 'pop (at-most-once)', q.ops.take.naive, q.ops.take.ours)
  opRows('queue', 'take a job: naive RPOP vs our at-least-once reserve+ack', q.ops.take.naive, q.ops.take.reserveAck)
  const { count, consumers, crashEvery } = JOBS
  const crash = (x: CrashRun) => `${x.completed} · ${x.lost} · ${x.duplicates}`
  rows.push(['queue', `${count} jobs, ${consumers} consumers, 1 in ${crashEvery} dies after taking a job: completed · lost · completed twice`, crash(q.crash.naive), crash(q.crash.ours), ''])
  rows.push(['queue', 'same run: deliveries, time to drain, commands per job (idle polls included)', `${q.crash.naive.deliveries}, ${q.crash.naive.drainMs} ms, ${f(q.crash.naive.commandsPerJob)}`, `${q.crash.ours.deliveries}, ${q.crash.ours.drainMs} ms, ${f(q.crash.ours.commandsPerJob)}`, ''])
  return rows
}

/** What issue 3 promises of ours under concurrency; a failed check makes the run exit non-zero. */
function checks(r: Results): { text: string; ok: boolean }[] {
  const rl = r.rateLimit
  const c = r.cache
  const q = r.queue.crash.ours
  return [
    { text: `rateLimit admits exactly ${RATE_LIMIT.limit} of ${RATE_LIMIT.calls} concurrent calls (got ${rl.admitted.ours})`, ok: rl.admitted.ours === RATE_LIMIT.limit && rl.oursUnavailable === 0 },
    { text: `rateLimit admits at most ${BOUNDARY.limit} + 5 % across a window boundary (got ${rl.boundary.ours.admitted})`, ok: rl.boundary.ours.admitted <= BOUNDARY.limit * 1.05 },
    { text: `getOrSet calls the loader once for ${STAMPEDE.callers} concurrent misses, in one process and over ${STAMPEDE.instances} (got ${c.oneProcess.ours.loaderCalls} and ${c.instances.ours.loaderCalls})`, ok: c.oneProcess.ours.loaderCalls === 1 && c.instances.ours.loaderCalls === 1 },
    { text: `queue: no job lost or completed twice when consumers die (lost ${q.lost}, twice ${q.duplicates})`, ok: q.lost === 0 && q.duplicates === 0 },
  ]
}

function toMarkdown(info: MachineInfo & { loadAvgAfter: number[]; seconds: number }, rows: string[][], checked: { text: string; ok: boolean }[]): string {
  return [
    `# Helper benchmark: the seed's naive helpers vs ours, ${info.date}`,
    '',
    `Machine: ${info.cpu} × ${info.cpuCount}, ${info.memoryGb} GB, ${info.os}; Node ${info.node}; ${info.redis}.`,
    `Load average (1/5/15 min) before ${info.loadAvgBefore.join(' / ')}, after ${info.loadAvgAfter.join(' / ')} (other agents' test runs may share the cores). Run took ${info.seconds} s.`,
    '',
    `- Through @upstash/redis → the local endpoint (separate process) → a private redis-server. Naive = bench/naive.ts, a plain @upstash/redis client as the seed implies;`,
    `  rate limit **A** = INCR then EXPIRE on count 1 (fixed window), **B** = GET, refuse at the limit, else INCR (+EXPIRE): check-then-act.`,
    `  Ours = createRateLimit / createCache / createQueue from \`@/lib/upstash\`.`,
    `- Commands per call: what clients sent (MONITOR; the commands a Lua script runs inside are not billed and not counted), over ${COST_CALLS} sequential calls after a warm-up call.`,
    `- Latency: ${CALLS} sequential calls per operation, taken in ${ROUNDS} rounds alternating naive and ours (after ${WARMUP_SECONDS} s of mixed warm-up traffic and ${WARMUP_CALLS} calls each);`,
    `  p99 on a shared 2-core machine is mostly scheduling noise.`,
    `- ours ÷ naive: against A for the rate limit; for latency, the p50 ratio · the p99 ratio.`,
    '',
    '| helper | measure | naive | ours | ours ÷ naive |',
    '| --- | --- | --- | --- | ---: |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    'Checks (ours):',
    ...checked.map((c) => `- ${c.ok ? 'ok' : 'FAILED'}: ${c.text}`),
    '',
  ].join('\n')
}

async function main(): Promise<void> {
  const info = machineInfo()
  const t0 = performance.now()
  console.log(`bench:helpers on ${info.cpu} × ${info.cpuCount}, load ${info.loadAvgBefore.join(' ')}`)
  const stack = await startBenchStack()
  try {
    const ctx = createContext(contextEnv(stack))
    let seq = 0
    const env: Env = {
      stack,
      naive: createNaiveHelpers(plainClient(stack), 'naive'),
      rateLimit: createRateLimit(ctx),
      cache: createCache(ctx),
      // Enough attempts that a job whose consumer died is retried, not dead-lettered, in the crash run.
      queue: createQueue(ctx, { maxAttempts: 10 }),
      next: (label) => `${label}-${++seq}`,
    }
    console.log('warm-up…')
    await warmUp(env)
    console.log('rate limit…')
    const rateLimit = await rateLimitSection(env)
    console.log('cache…')
    const cache = await cacheSection(env)
    console.log('queue…')
    const queue = await queueSection(env)
    const results: Results = { rateLimit, cache, queue }

    const full = { ...info, loadAvgAfter: loadAvg(), seconds: Math.round((performance.now() - t0) / 1000) }
    const checked = checks(results)
    const md = toMarkdown(full, tableRows(results), checked)
    console.log(`\n${md}`)
    const dir = path.resolve('bench/results')
    mkdirSync(dir, { recursive: true })
    const stamp = full.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')
    writeFileSync(path.join(dir, `helpers-${stamp}.md`), md)
    const settings = { CALLS, ROUNDS, WARMUP_SECONDS, WARMUP_CALLS, COST_CALLS, RATE_LIMIT, BOUNDARY, STAMPEDE, JOBS }
    writeFileSync(path.join(dir, `helpers-${stamp}.json`), `${JSON.stringify({ machine: full, settings, results, checks: checked }, null, 2)}\n`)
    console.log(`saved bench/results/helpers-${stamp}.md and .json`)
    if (checked.some((c) => !c.ok)) process.exitCode = 1
  } finally {
    await stack.stop()
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
