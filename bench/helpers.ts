/**
 * npm run bench:helpers [-- --quick] — our helpers against the seed's naive versions (bench/naive.ts) and
 * the libraries a team would otherwise pick (bench/peers.ts), in one run:
 *  - cache: ours (namespaced), plain cache-aside (naive get-then-set), BentoCache L2 only, BentoCache L1+L2 (+ bus);
 *  - rate limit: ours, @upstash/ratelimit used directly (slidingWindow), naive A (INCR+EXPIRE), naive B (GET then INCR);
 *  - queue: ours (reserve/ack) against naive LPUSH/RPOP.
 * Measures, per implementation:
 *  - billed Upstash commands per operation: every command Redis executed, from INFO commandstats deltas on
 *    the private redis-server (the project's one way, testing/redis-direct.ts `billedCommands`): a
 *    pipeline counts each command, a Lua script 1 + every command it runs inside, as Upstash bills;
 *  - latency p50/p99 of sequential calls after a warm-up, taken in interleaved rounds;
 *  - behaviour under concurrency: rate-limit over-admission, loader calls on a stampede over instances,
 *    jobs lost when consumers die after taking them.
 * Starts its own redis-server and the endpoint (a separate process); only redis-server is required.
 * Prints markdown tables (each peer's figure also as a ratio to ours) and saves them with the raw numbers
 * under bench/results/helpers-<date>.{md,json}. Exits non-zero if ours over-admits, calls a loader twice on
 * a stampede, or loses (or completes twice) a job.
 * Env: BENCH_CALLS (sequential calls per latency series; default 300, 100 with --quick).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Ratelimit } from '@upstash/ratelimit'
import {
  createCache,
  createContext,
  createQueue,
  createRateLimit,
  type NamespacedCache,
  type Queue,
  type RateLimitFn,
} from '@/lib/upstash'
import { billedCommands, directClient } from '../testing/redis-direct'
import { createNaiveHelpers, type NaiveHelpers } from './naive'
import { bentoInstance, restClient, upstashRatelimit, type BentoInstance, type BentoNamespace } from './peers'
import { loadAvg, machineInfo, percentile, startBenchStack, type BenchStack, type MachineInfo } from './support'

// Settings: set from --quick when run directly, from runHelpersBench's options when bench/all.ts calls it.
let QUICK = process.argv.includes('--quick')
let CALLS = 0
let WARMUP_CALLS = 0
/** Latency samples of compared operations are taken in this many interleaved rounds. */
const ROUNDS = 10
/** Mixed traffic before any measurement. */
let WARMUP_SECONDS = 0
/** Calls per billed-command count (sequential, after one warm-up call). */
let COST_CALLS = 0
function configure(quick: boolean): void {
  QUICK = quick
  CALLS = Number(process.env.BENCH_CALLS ?? (QUICK ? 100 : 300))
  WARMUP_CALLS = QUICK ? 10 : 30
  WARMUP_SECONDS = QUICK ? 1 : 2
  COST_CALLS = QUICK ? 10 : 20
}
configure(QUICK)
export const RATE_LIMIT = { calls: 1000, limit: 100, instances: 3 }
export const BOUNDARY = { limit: 100, windowSeconds: 2, beforeEndMs: 300, afterEndMs: 30 }
export const STAMPEDE = { callers: 100, instances: 4, loaderMs: 50 }
const INVALIDATE = { entries: 100 }
export const JOBS = { count: 500, consumers: 10, crashEvery: 10, visibilityTimeoutMs: 500, deadlineMs: 30_000 }

type Call = () => Promise<unknown>

/** Billed commands of an operation, over `calls` calls. */
interface Cost {
  perCall: number
  /** Billed commands by name (commandstats' names, e.g. `get`, `evalsha`) over all the calls. */
  byCommand: Record<string, number>
  calls: number
}

/** Billed commands per call and latency of one operation. */
interface OpStats extends Cost {
  p50Ms: number
  p99Ms: number
}

const RL_IMPLS = ['ours', 'upstash', 'naiveA', 'naiveB'] as const
const CACHE_IMPLS = ['ours', 'naive', 'bentoL2', 'bentoL1L2'] as const
const QUEUE_IMPLS = ['ours', 'naive'] as const
type RlImpl = (typeof RL_IMPLS)[number]
type CacheImpl = (typeof CACHE_IMPLS)[number]
type QueueImpl = (typeof QUEUE_IMPLS)[number]

const IMPL_NAMES: Record<RlImpl | CacheImpl | QueueImpl, string> = {
  ours: 'ours',
  upstash: '@upstash/ratelimit',
  naiveA: 'naive A',
  naiveB: 'naive B',
  naive: 'naive',
  bentoL2: 'BentoCache L2',
  bentoL1L2: 'BentoCache L1+L2',
}

/** A cache's getOrSet, whatever the implementation. */
type GetOrSet = <T>(key: string, loader: () => Promise<T>, ttlSeconds: number) => Promise<T>

interface Env {
  stack: BenchStack
  /** The env our helpers' contexts are built on. */
  ctxEnv: Record<string, string>
  naive: NaiveHelpers
  rateLimit: RateLimitFn
  queue: Queue
  /** A fresh id for keys and identifiers, so calls never share state unless they mean to. */
  next(label: string): string
  /** Everything that holds a connection, closed at the end. */
  bentos: BentoInstance[]
  bento(l1: boolean): BentoInstance
}

/** `calls` sequential calls' billed commands (after one unbilled warm-up call unless `warm` is false). */
async function cost(env: Env, call: Call, calls = COST_CALLS, warm = true): Promise<Cost> {
  if (warm) await call()
  const { total, byCommand } = await billedCommands(env.stack.env.REDIS_URL, async () => {
    for (let i = 0; i < calls; i++) await call()
  })
  return { perCall: total / calls, byCommand, calls }
}

/** Billed commands of one block of work (e.g. a concurrent burst). */
async function billed(
  env: Env,
  run: () => Promise<unknown>,
): Promise<{ total: number; byCommand: Record<string, number> }> {
  return billedCommands(env.stack.env.REDIS_URL, run)
}

/** An operation to measure, and (for takes) how to put `n` jobs in place before it runs `n` times. */
type Op = Call | { call: Call; prepare: (n: number) => Promise<void> }

/**
 * Measures operations compared with each other. Billed commands: COST_CALLS sequential calls each, after
 * one warm-up call (scripts loaded, connections open). Latency: CALLS sequential calls each, in ROUNDS
 * interleaved rounds (ours, peer 1, peer 2…, then reversed), so a load change on the shared machine hits all.
 */
async function compareOps<K extends string>(env: Env, ops: Record<K, Op>): Promise<Record<K, OpStats>> {
  const entries = Object.entries(ops) as [K, Op][]
  const calls = entries.map(([name, op]) => [name, typeof op === 'function' ? op : op.call] as const)
  for (const [, op] of entries) if (typeof op !== 'function') await op.prepare(1 + COST_CALLS + WARMUP_CALLS + CALLS)

  const costs = new Map<K, Cost>()
  for (const [name, call] of calls) costs.set(name, await cost(env, call))

  const latencies = new Map<K, number[]>(calls.map(([name]) => [name, []]))
  for (let i = 0; i < WARMUP_CALLS; i++) for (const [, call] of calls) await call()
  const perRound = Math.ceil(CALLS / ROUNDS)
  for (let round = 0; round < ROUNDS; round++) {
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
    result[name] = { ...costs.get(name)!, p50Ms: round3(percentile(sorted, 50)), p99Ms: round3(percentile(sorted, 99)) }
  }
  return result
}

const round3 = (ms: number) => Math.round(ms * 1000) / 1000
const countTrue = (values: boolean[]) => values.filter(Boolean).length

async function sleepUntil(epochMs: number): Promise<void> {
  const wait = epochMs - Date.now()
  if (wait > 0) await sleep(wait)
}

/** A window (s, ≥ base) whose current epoch-aligned bucket has at least `marginMs` left: no bucket change mid-measure. */
function windowAwayFromBoundary(base: number, marginMs: number): number {
  for (let w = base; ; w++) if (w * 1000 - (Date.now() % (w * 1000)) > marginMs) return w
}

const ctxEnvOf = (stack: BenchStack) => ({
  ...stack.env,
  REDIS_KEY_PREFIX: 'bench',
  REDIS_TIMEOUT_MS: '10000',
  UPSTASH_DISABLE_TELEMETRY: 'true',
})

// ─── rate limit ──────────────────────────────────────────────────────────────────────────────────

/**
 * A limiter of each implementation for one (limit, window): `call(id)` → allowed. New instances (app instances)
 * each time; ours and naive share their keys across instances, @upstash/ratelimit when given the same prefix.
 */
function limiters(
  env: Env,
  limit: number,
  windowSeconds: number,
  upstashPrefix = `bench-url-${env.next('rl')}`,
): Record<RlImpl, (id: string) => Promise<boolean>> & { oursUnavailable: () => number } {
  const ours = createRateLimit(createContext(env.ctxEnv))
  const upstash = upstashRatelimit(env.stack.env, upstashPrefix, limit, windowSeconds)
  const naive = createNaiveHelpers(restClient(env.stack.env), 'naive')
  let unavailable = 0
  return {
    ours: async (id) => {
      const r = await ours(id, limit, windowSeconds)
      if (r.reason) unavailable++ // answered by the failure policy, not by Redis: reported, never hidden
      return r.allowed
    },
    upstash: async (id) => (await upstash.limit(id)).success,
    naiveA: async (id) => (await naive.rateLimitIncrExpire(id, limit, windowSeconds)).allowed,
    naiveB: async (id) => (await naive.rateLimitGetThenIncr(id, limit, windowSeconds)).allowed,
    oursUnavailable: () => unavailable,
  }
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

/** Billed commands of a refused call: the first refusal of an identifier, then the next one (COST_CALLS identifiers). */
async function refusalCost(env: Env, call: (id: string) => Promise<boolean>): Promise<{ first: Cost; later: Cost }> {
  const ids = Array.from({ length: COST_CALLS }, () => env.next('refused'))
  for (const id of ids)
    if (!(await call(id))) throw new Error('bench: the first call of a limit-1 identifier was refused')
  const refuseAll = async () => {
    for (const id of ids) if (await call(id)) throw new Error('bench: a limit-1 identifier was admitted twice')
  }
  const first = await cost(env, refuseAll, 1, false)
  const later = await cost(env, refuseAll, 1, false)
  const per = (c: Cost): Cost => ({ perCall: c.perCall / ids.length, byCommand: c.byCommand, calls: ids.length })
  return { first: per(first), later: per(later) }
}

async function rateLimitSection(env: Env) {
  const big = 1_000_000_000
  // An hour-long window whose bucket has > 5 minutes left: every call below stays in one bucket.
  const w = windowAwayFromBoundary(3600, 300_000)
  const upstashBig: Ratelimit = upstashRatelimit(env.stack.env, 'bench-url-big', big, w)
  const { naive, rateLimit } = env
  const ops = {
    first: await compareOps(env, {
      ours: () => rateLimit(env.next('rl'), big, w),
      upstash: () => upstashBig.limit(env.next('rl')),
      naiveA: () => naive.rateLimitIncrExpire(env.next('rl'), big, w),
      naiveB: () => naive.rateLimitGetThenIncr(env.next('rl'), big, w),
    }),
    steady: await compareOps(env, {
      ours: () => rateLimit('steady', big, w),
      upstash: () => upstashBig.limit('steady'),
      naiveA: () => naive.rateLimitIncrExpire('steady-a', big, w),
      naiveB: () => naive.rateLimitGetThenIncr('steady-b', big, w),
    }),
  }
  const one = limiters(env, 1, w)
  const refused = {} as Record<RlImpl, { first: Cost; later: Cost }>
  for (const impl of RL_IMPLS) refused[impl] = await refusalCost(env, one[impl])

  // RATE_LIMIT.calls simultaneous calls of one identifier, spread over RATE_LIMIT.instances instances.
  const wc = windowAwayFromBoundary(60, 10_000)
  const concurrent = {} as Record<RlImpl, { admitted: number; billed: number; byCommand: Record<string, number> }>
  let oursUnavailable = 0
  for (const impl of RL_IMPLS) {
    const prefix = `bench-url-${env.next('burst')}`
    const instances = Array.from({ length: RATE_LIMIT.instances }, () => limiters(env, RATE_LIMIT.limit, wc, prefix))
    const id = env.next('burst')
    let admitted = 0
    const { total, byCommand } = await billed(env, async () => {
      admitted = countTrue(
        await Promise.all(
          Array.from({ length: RATE_LIMIT.calls }, (_, i) => instances[i % instances.length]![impl](id)),
        ),
      )
    })
    concurrent[impl] = { admitted, billed: total, byCommand }
    if (impl === 'ours') oursUnavailable = instances.reduce((n, l) => n + l.oursUnavailable(), 0)
  }

  // Bursts straddling a window's end. Sliding windows are aligned on the epoch: start at a bucket's beginning
  // so the whole window lies ahead. Naive windows start with their first call.
  const { limit, windowSeconds } = BOUNDARY
  const windowMs = windowSeconds * 1000
  const redis = await directClient(env.stack.env.REDIS_URL)
  try {
    const edge = limiters(env, limit, windowSeconds)
    // All implementations in the same windows at once (own identifiers and keys): one wait for all, not one each.
    const start = Math.ceil(Date.now() / windowMs) * windowMs
    const results = await Promise.all(
      RL_IMPLS.map((impl) => {
        const id = env.next('edge')
        const call = () => edge[impl](id)
        return burstAcrossBoundary(async () => {
          await sleepUntil(start + 10)
          await call()
          // Naive windows start with their first call; sliding ones are aligned on the epoch (the whole window lies ahead).
          return impl === 'naiveA' || impl === 'naiveB'
            ? Date.now() + (await redis.pTTL(naive.rateLimitKey(id)))
            : start + windowMs
        }, call)
      }),
    )
    const boundary = Object.fromEntries(RL_IMPLS.map((impl, i) => [impl, results[i]!])) as Record<
      RlImpl,
      Awaited<ReturnType<typeof burstAcrossBoundary>>
    >
    oursUnavailable += edge.oursUnavailable()

    // A process that dies between INCR and EXPIRE leaves a counter that never expires.
    const crashId = env.next('crash')
    await naive.rateLimitIncrExpire(crashId, 100, 60, { crashAfterIncr: true }).catch(() => undefined)
    const naiveCrashPttl = await redis.pTTL(naive.rateLimitKey(crashId))
    const oursCrashId = env.next('crash')
    await rateLimit(oursCrashId, 100, 60)
    const oursKeys = await redis.keys(`*{${oursCrashId}}*`)
    const oursPttls = await Promise.all(oursKeys.map((k) => redis.pTTL(k)))
    return {
      windowSeconds: w,
      ops,
      refused,
      concurrent,
      oursUnavailable,
      boundary,
      ttlAfterCrash: { naiveA: naiveCrashPttl, ours: oursPttls },
    }
  } finally {
    await redis.close()
  }
}

// ─── cache ───────────────────────────────────────────────────────────────────────────────────────

/** One app instance of a cache implementation, on namespace `ns` (plain cache-aside has none: a key prefix). */
function cacheInstance(env: Env, impl: CacheImpl, ns: string): GetOrSet {
  if (impl === 'ours') {
    const oursNs = createCache(createContext(env.ctxEnv)).namespace(ns)
    return (key, loader, ttl) => oursNs.getOrSet(key, loader, { ttl })
  }
  if (impl === 'naive') {
    const naive = createNaiveHelpers(restClient(env.stack.env), `naive:${ns}`)
    return (key, loader, ttl) => naive.getOrSet(key, loader, ttl)
  }
  const bento = env.bento(impl === 'bentoL1L2').namespace(ns)
  return (key, loader, ttl) => bento.getOrSet(key, loader, ttl)
}

async function cacheSection(env: Env) {
  const value = {
    dossiers: Array.from({ length: 10 }, (_, i) => ({ id: `d${i}`, title: `Dossier ${i}`, status: 'OPEN' })),
  }
  const now = async () => value
  const main = Object.fromEntries(
    CACHE_IMPLS.map((impl) => [impl, cacheInstance(env, impl, 'dossiers:bench')]),
  ) as Record<CacheImpl, GetOrSet>
  for (const impl of CACHE_IMPLS) await main[impl]('hot', now, 3600)
  const each = (op: (impl: CacheImpl) => Call) =>
    Object.fromEntries(CACHE_IMPLS.map((impl) => [impl, op(impl)])) as Record<CacheImpl, Call>
  const ops = {
    hit: await compareOps(
      env,
      each((impl) => () => main[impl]('hot', now, 3600)),
    ),
    miss: await compareOps(
      env,
      each((impl) => () => main[impl](env.next('miss'), now, 3600)),
    ),
  }

  // A namespace's very first miss (ours creates its generation then): a new namespace per call, same instance.
  const oursCache = createCache(createContext(env.ctxEnv))
  const bentos = { bentoL2: env.bento(false), bentoL1L2: env.bento(true) }
  const naiveFirst = createNaiveHelpers(restClient(env.stack.env), 'naive-first')
  const firstMiss: Record<CacheImpl, Cost> = {
    ours: await cost(env, () => oursCache.namespace(env.next('ns')).getOrSet('list', now, { ttl: 3600 })),
    naive: await cost(env, () => naiveFirst.getOrSet(`${env.next('ns')}:list`, now, 3600)),
    bentoL2: await cost(env, () => bentos.bentoL2.namespace(env.next('ns')).getOrSet('list', now, 3600)),
    bentoL1L2: await cost(env, () => bentos.bentoL1L2.namespace(env.next('ns')).getOrSet('list', now, 3600)),
  }

  // STAMPEDE.callers concurrent misses of one key, spread over STAMPEDE.instances app instances.
  const stampede = {} as Record<CacheImpl, { loaderCalls: number; billed: number; byCommand: Record<string, number> }>
  for (const impl of CACHE_IMPLS) {
    const ns = env.next('stampede')
    const instances = Array.from({ length: STAMPEDE.instances }, () => cacheInstance(env, impl, ns))
    for (const getOrSet of instances) await getOrSet('warm', now, 60) // each instance's first call (connections, generation), out of the count
    const key = env.next('key')
    let loaderCalls = 0
    const loader = async () => {
      loaderCalls++
      await sleep(STAMPEDE.loaderMs) // a database query's latency, so the others really wait
      return value
    }
    const { total, byCommand } = await billed(env, () =>
      Promise.all(
        Array.from({ length: STAMPEDE.callers }, (_, i) => instances[i % instances.length]!(key, loader, 60)),
      ),
    )
    stampede[impl] = { loaderCalls, billed: total, byCommand }
  }

  // Invalidating a namespace holding INVALIDATE.entries entries (what every dossier write does for its cabinet).
  const redis = await directClient(env.stack.env.REDIS_URL)
  let dbSize = 0
  const invalidate = {} as Record<
    'ours' | 'bentoL2' | 'bentoL1L2',
    { billed: number; byCommand: Record<string, number> }
  >
  try {
    for (const impl of ['ours', 'bentoL2', 'bentoL1L2'] as const) {
      const ns = env.next('inv')
      const target =
        impl === 'ours'
          ? createCache(createContext(env.ctxEnv)).namespace(ns)
          : env.bento(impl === 'bentoL1L2').namespace(ns)
      const getOrSet: GetOrSet =
        impl === 'ours'
          ? (k, l, ttl) => (target as NamespacedCache).getOrSet(k, l, { ttl })
          : (k, l, ttl) => (target as BentoNamespace).getOrSet(k, l, ttl)
      for (let i = 0; i < INVALIDATE.entries; i += 50)
        await Promise.all(Array.from({ length: 50 }, (_, j) => getOrSet(`k${i + j}`, now, 3600)))
      dbSize = Math.max(dbSize, await redis.dbSize())
      const run =
        impl === 'ours' ? () => (target as NamespacedCache).invalidate() : () => (target as BentoNamespace).clear()
      const { total, byCommand } = await billed(env, run)
      invalidate[impl] = { billed: total, byCommand }
    }
  } finally {
    await redis.close()
  }
  return { ops, firstMiss, stampede, invalidate: { ...invalidate, dbSize } }
}

// ─── queue ───────────────────────────────────────────────────────────────────────────────────────

export interface CrashRun {
  completed: number
  lost: number
  /** Jobs completed (acked) more than once. */
  duplicates: number
  /** Deliveries whose consumer died holding the job. */
  crashes: number
  deliveries: number
  drainMs: number
  billedPerJob: number
}

/**
 * JOBS.count jobs, JOBS.consumers concurrent consumers; the consumer that takes a job whose index is
 * a multiple of JOBS.crashEvery dies on that job's first delivery (no ack), and a replacement carries on.
 */
async function crashingConsumers(env: Env, kind: QueueImpl): Promise<CrashRun> {
  const name = env.next('jobs')
  const { naive, queue } = env
  const push = (i: number) => (kind === 'naive' ? naive.push(name, { i }) : queue.push(name, { i }))
  for (let i = 0; i < JOBS.count; i += 100)
    await Promise.all(Array.from({ length: Math.min(100, JOBS.count - i) }, (_, j) => push(i + j)))

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
  const { total } = await billed(env, () =>
    Promise.all(Array.from({ length: JOBS.consumers }, kind === 'naive' ? naiveConsumer : oursConsumer)),
  )
  const duplicates = [...done.values()].filter((n) => n > 1).length
  return {
    completed: done.size,
    lost: JOBS.count - done.size,
    duplicates,
    crashes: crashed.size,
    deliveries,
    drainMs: Date.now() - started,
    billedPerJob: total / JOBS.count,
  }
}

/** Billed commands of each step of a job's life: push, take (reserve / RPOP), ack, and a take from an empty queue. */
async function jobSteps(env: Env, kind: QueueImpl) {
  const { naive, queue } = env
  const job = { to: 'client@example.com', subject: 'Welcome!', template: 'welcome' }
  const name = env.next('steps')
  // Warm: the claim script loaded, the connections open.
  await queue.push(name, job)
  const warm = await queue.reserve(name)
  if (warm) await queue.ack(name, warm)
  await naive.push(name, job)
  await naive.pop(name)

  let i = 0
  const push = await cost(
    env,
    () => (kind === 'ours' ? queue.push(name, { ...job, i: i++ }) : naive.push(name, { ...job, i: i++ })),
    COST_CALLS,
    false,
  )
  const leases: { id: string; leaseToken: string }[] = []
  const take = await cost(
    env,
    async () => {
      if (kind === 'naive') {
        if ((await naive.pop(name)) === null) throw new Error('bench: a prefilled queue ran dry')
        return
      }
      const leased = await queue.reserve(name)
      if (!leased) throw new Error('bench: a prefilled queue ran dry')
      leases.push(leased)
    },
    COST_CALLS,
    false,
  )
  let a = 0
  const ack: Cost =
    kind === 'ours'
      ? await cost(
          env,
          async () => {
            if (!(await queue.ack(name, leases[a++]!))) throw new Error('bench: ack of a fresh lease failed')
          },
          COST_CALLS,
          false,
        )
      : { perCall: 0, byCommand: {}, calls: COST_CALLS } // no ack: RPOP took the job out for good
  const empty = await cost(
    env,
    () => (kind === 'ours' ? queue.reserve(env.next('empty')) : naive.pop(env.next('empty'))),
    COST_CALLS,
    false,
  )
  return { push, take, ack, total: push.perCall + take.perCall + ack.perCall, empty }
}

async function queueSection(env: Env) {
  const { naive, queue } = env
  const job = { to: 'client@example.com', subject: 'Welcome!', template: 'welcome' }
  /** An op that takes a job from a queue filled beforehand with as many jobs as it will take. */
  const taking = (
    push: (name: string, data: unknown) => Promise<unknown>,
    take: (name: string) => Promise<unknown>,
  ): Op => {
    const name = env.next('q')
    return {
      prepare: async (n) => {
        for (let i = 0; i < n; i += 100)
          await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, j) => push(name, { ...job, i: i + j })))
      },
      call: async () => {
        if (!(await take(name))) throw new Error('bench: a prefilled queue ran dry')
      },
    }
  }
  const steps = { ours: await jobSteps(env, 'ours'), naive: await jobSteps(env, 'naive') }
  const ops = {
    push: await compareOps(env, {
      ours: () => queue.push('email-queue', job),
      naive: () => naive.push('email-queue', job),
    }),
    take: await compareOps(env, {
      ours: taking(queue.push, async (name) => {
        const leased = await queue.reserve(name)
        return leased && queue.ack(name, leased)
      }),
      naive: taking(naive.push, naive.pop),
    }),
  }
  return {
    steps,
    ops,
    crash: { ours: await crashingConsumers(env, 'ours'), naive: await crashingConsumers(env, 'naive') },
  }
}

/** Runs every kind of call a while before anything is measured: JIT, connections and scripts warm in every process. */
async function warmUp(
  env: Env,
  bento: { l2: BentoNamespace; l1l2: BentoNamespace },
  upstash: Ratelimit,
): Promise<void> {
  const until = performance.now() + WARMUP_SECONDS * 1000
  const value = { warm: true }
  const ours = createCache(createContext(env.ctxEnv)).namespace('warm')
  const load = async () => value
  let i = 0
  while (performance.now() < until) {
    const key = `warm-${i++ % 50}`
    await env.naive.rateLimitGetThenIncr('warm', 1e9, 60)
    await env.rateLimit('warm', 1e9, 60)
    await upstash.limit('warm')
    await env.naive.getOrSet(key, load, 60)
    await ours.getOrSet(key, load, { ttl: 60 })
    await bento.l2.getOrSet(key, load, 60)
    await bento.l1l2.getOrSet(key, load, 60)
    await env.naive.push('warm', value)
    await env.naive.pop('warm')
    await env.queue.push('warm', value)
    const job = await env.queue.reserve('warm')
    if (job) await env.queue.ack('warm', job)
  }
}

// ─── report ──────────────────────────────────────────────────────────────────────────────────────

export type HelpersResults = Results
type Results = {
  rateLimit: Awaited<ReturnType<typeof rateLimitSection>>
  cache: Awaited<ReturnType<typeof cacheSection>>
  queue: Awaited<ReturnType<typeof queueSection>>
}

const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–')
const whole = (n: number) => f(n, Number.isInteger(n) ? 0 : 2)
/** A peer's figure against ours: "(2.00×)" = the peer's figure is twice ours. */
function rel(peer: number, ours: number): string {
  if (Number.isNaN(peer)) return ''
  if (ours === 0) return peer === 0 ? ' (=)' : ' (ours 0)'
  return ` (${f(peer / ours)}×)`
}
/** "4: EVALSHA+GET×2+INCRBY", per call. */
const breakdown = (c: Cost) =>
  Object.entries(c.byCommand)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([cmd, n]) => (n === c.calls ? cmd.toUpperCase() : `${cmd.toUpperCase()}×${whole(n / c.calls)}`))
    .join('+')

/** One row: ours, then each peer with its ratio to ours. */
function row<I extends string>(
  measure: string,
  impls: readonly I[],
  show: (impl: I) => string,
  value: (impl: I) => number,
): string[] {
  return [
    measure,
    ...impls.map((impl, i) => (i === 0 ? show(impl) : `${show(impl)}${rel(value(impl), value(impls[0]!))}`)),
  ]
}
function costRow<I extends string>(measure: string, impls: readonly I[], of: (impl: I) => Cost): string[] {
  return row(
    measure,
    impls,
    (impl) => {
      const c = of(impl)
      const names = breakdown(c)
      return `**${whole(c.perCall)}**${names ? ` ${names}` : ''}`
    },
    (impl) => of(impl).perCall,
  )
}
function latencyRow<I extends string>(measure: string, impls: readonly I[], of: (impl: I) => OpStats): string[] {
  const ours = of(impls[0]!)
  return [
    measure,
    ...impls.map((impl, i) => {
      const s = of(impl)
      return i === 0
        ? `${f(s.p50Ms)} · ${f(s.p99Ms)}`
        : `${f(s.p50Ms)} · ${f(s.p99Ms)} (${f(s.p50Ms / ours.p50Ms)}× · ${f(s.p99Ms / ours.p99Ms)}×)`
    }),
  ]
}
const table = (impls: readonly string[], rows: string[][]) => [
  `| measure | ${impls.map((i) => IMPL_NAMES[i as keyof typeof IMPL_NAMES]).join(' | ')} |`,
  `| --- |${impls.map(() => ' --- |').join('')}`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
]

function cacheTable(c: Results['cache']): string[] {
  const impls = CACHE_IMPLS
  const { callers, instances, loaderMs } = STAMPEDE
  const inv = c.invalidate
  return table(impls, [
    costRow('hit: billed commands', impls, (i) => c.ops.hit[i]),
    costRow('miss: billed commands', impls, (i) => c.ops.miss[i]),
    costRow("a namespace's very first miss: billed commands", impls, (i) => c.firstMiss[i]),
    latencyRow('hit: p50 · p99 ms', impls, (i) => c.ops.hit[i]),
    latencyRow('miss: p50 · p99 ms', impls, (i) => c.ops.miss[i]),
    row(
      `${callers} concurrent misses over ${instances} instances (loader ${loaderMs} ms): loader calls`,
      impls,
      (i) => `**${c.stampede[i].loaderCalls}**`,
      (i) => c.stampede[i].loaderCalls,
    ),
    row(
      'same: billed commands in all',
      impls,
      (i) =>
        `${c.stampede[i].billed} ${breakdown({ perCall: c.stampede[i].billed, byCommand: c.stampede[i].byCommand, calls: 1 })}`,
      (i) => c.stampede[i].billed,
    ),
    row(
      `invalidate a namespace of ${INVALIDATE.entries} entries (${inv.dbSize} keys in the database): billed commands`,
      impls,
      (i) =>
        i === 'naive'
          ? 'n/a (no namespaces)'
          : `**${inv[i].billed}** ${breakdown({ perCall: inv[i].billed, byCommand: inv[i].byCommand, calls: 1 })}`,
      (i) => (i === 'naive' ? NaN : inv[i].billed),
    ),
  ])
}

function rateLimitTable(r: Results['rateLimit']): string[] {
  const impls = RL_IMPLS
  const { calls, limit, instances } = RATE_LIMIT
  const b = r.boundary
  return table(impls, [
    costRow('first call of a bucket (a new identifier): billed commands', impls, (i) => r.ops.first[i]),
    costRow('steady state (same identifier, same bucket): billed commands', impls, (i) => r.ops.steady[i]),
    costRow('refused, first time: billed commands', impls, (i) => r.refused[i].first),
    costRow('refused again: billed commands', impls, (i) => r.refused[i].later),
    latencyRow('steady state: p50 · p99 ms', impls, (i) => r.ops.steady[i]),
    row(
      `${calls} concurrent calls, limit ${limit}, over ${instances} instances: admitted`,
      impls,
      (i) => `**${r.concurrent[i].admitted}**`,
      (i) => r.concurrent[i].admitted,
    ),
    row(
      'same: billed commands in all',
      impls,
      (i) =>
        `${r.concurrent[i].billed} ${breakdown({ perCall: r.concurrent[i].billed, byCommand: r.concurrent[i].byCommand, calls: 1 })}`,
      (i) => r.concurrent[i].billed,
    ),
    row(
      `2 bursts of ${BOUNDARY.limit} straddling a window's end (limit ${BOUNDARY.limit} per ${BOUNDARY.windowSeconds} s): admitted (before + after)`,
      impls,
      (i) => `**${b[i].admitted}** (${b[i].before} + ${b[i].after})`,
      (i) => b[i].admitted,
    ),
  ])
}

function queueTable(q: Results['queue']): string[] {
  const impls = QUEUE_IMPLS
  const { count, consumers, crashEvery } = JOBS
  const s = q.steps
  const crash = (x: CrashRun) => `**${x.completed} · ${x.lost} · ${x.duplicates}**`
  return table(impls, [
    costRow('push: billed commands', impls, (i) => s[i].push),
    costRow('take a job (ours: reserve; naive: RPOP): billed commands', impls, (i) => s[i].take),
    costRow('ack (naive: none, RPOP already removed it): billed commands', impls, (i) => s[i].ack),
    row(
      'a job, push → take → ack: billed commands',
      impls,
      (i) => `**${whole(s[i].total)}**`,
      (i) => s[i].total,
    ),
    costRow('take from an empty queue: billed commands', impls, (i) => s[i].empty),
    latencyRow('push: p50 · p99 ms', impls, (i) => q.ops.push[i]),
    latencyRow('take + ack (naive: RPOP): p50 · p99 ms', impls, (i) => q.ops.take[i]),
    row(
      `${count} jobs, ${consumers} consumers, 1 in ${crashEvery} dies after taking a job: completed · lost · twice`,
      impls,
      (i) => crash(q.crash[i]),
      (i) => q.crash[i].completed,
    ),
    row(
      'same run: billed commands per job (idle polls included)',
      impls,
      (i) => f(q.crash[i].billedPerJob),
      (i) => q.crash[i].billedPerJob,
    ),
    row(
      'same run: time to drain (deliveries)',
      impls,
      (i) => `${q.crash[i].drainMs} ms (${q.crash[i].deliveries})`,
      (i) => q.crash[i].drainMs,
    ),
  ])
}

/** What the tests and docs/helpers.md say ours costs; a difference is reported (it may be a bug), not fatal. */
function budget(r: Results): { text: string; ok: boolean }[] {
  const c = r.cache
  const rl = r.rateLimit
  const q = r.queue.steps.ours
  const expect = (what: string, got: number, want: number) => ({
    text: `${what}: expected ${want}, measured ${whole(got)}`,
    ok: got === want,
  })
  return [
    expect('cache hit (namespaced)', c.ops.hit.ours.perCall, 1),
    expect('cache uncontended miss', c.ops.miss.ours.perCall, 4),
    expect("cache: a namespace's first miss", c.firstMiss.ours.perCall, 5),
    expect('rateLimit steady state', rl.ops.steady.ours.perCall, 1),
    expect('rateLimit first call of a bucket in an instance', rl.ops.first.ours.perCall, 3),
    expect('rateLimit refused, first time', rl.refused.ours.first.perCall, 2),
    expect('rateLimit refused again (same instance)', rl.refused.ours.later.perCall, 0),
    expect('queue push', q.push.perCall, 2),
    expect('queue reserve', q.take.perCall, 4),
    expect('queue ack', q.ack.perCall, 2),
    expect('queue reserve on an empty queue', q.empty.perCall, 1),
  ]
}

/** What ours promises under concurrency; a failed check makes the run exit non-zero. */
function checks(r: Results): { text: string; ok: boolean }[] {
  const rl = r.rateLimit
  const c = r.cache
  const q = r.queue.crash.ours
  return [
    {
      text: `rateLimit admits exactly ${RATE_LIMIT.limit} of ${RATE_LIMIT.calls} concurrent calls over ${RATE_LIMIT.instances} instances (got ${rl.concurrent.ours.admitted}; ${rl.oursUnavailable} answered by the failure policy)`,
      ok: rl.concurrent.ours.admitted === RATE_LIMIT.limit && rl.oursUnavailable === 0,
    },
    {
      text: `rateLimit admits at most ${BOUNDARY.limit} + 5 % across a window boundary (got ${rl.boundary.ours.admitted})`,
      ok: rl.boundary.ours.admitted <= BOUNDARY.limit * 1.05,
    },
    {
      text: `getOrSet calls the loader once for ${STAMPEDE.callers} concurrent misses over ${STAMPEDE.instances} instances (got ${c.stampede.ours.loaderCalls})`,
      ok: c.stampede.ours.loaderCalls === 1,
    },
    {
      text: `queue: no job lost or completed twice when consumers die (lost ${q.lost}, twice ${q.duplicates})`,
      ok: q.lost === 0 && q.duplicates === 0,
    },
  ]
}

function toMarkdown(
  info: MachineInfo & { loadAvgAfter: number[]; seconds: number },
  r: Results,
  checked: { text: string; ok: boolean }[],
  budgeted: { text: string; ok: boolean }[],
): string {
  const crashTtl = r.rateLimit.ttlAfterCrash
  return [
    `# Helper benchmark: billed commands, latency and correctness of ours vs naive versions and libraries, ${info.date}${QUICK ? ' (--quick)' : ''}`,
    '',
    `Machine: ${info.cpu} × ${info.cpuCount}, ${info.memoryGb} GB, ${info.os}; Node ${info.node}; ${info.redis}.`,
    `Load average (1/5/15 min) before ${info.loadAvgBefore.join(' / ')}, after ${info.loadAvgAfter.join(' / ')} (other agents' test runs may share the cores). Run took ${info.seconds} s.`,
    '',
    '- **Billed commands**: what Upstash bills (every command, each command of a pipeline, a Lua script as 1 + every command it runs inside),',
    `  counted as INFO commandstats deltas on the private redis-server, which include commands run inside scripts; per call = over ${COST_CALLS} sequential calls after a warm-up call.`,
    '- Ours (`@/lib/upstash`), naive (bench/naive.ts) and @upstash/ratelimit go through @upstash/redis → the local REST endpoint (separate process) → redis-server;',
    '  **BentoCache goes over TCP (ioredis) straight to redis-server**: its latencies skip the HTTP hop and are not comparable with the others (its billed commands are).',
    '  BentoCache L1+L2 = memory L1 (10 MB) + Redis L2 + its Redis bus (pub/sub), as its docs set up more than one instance; each instance has its own connections and L1.',
    `- Latency: ${CALLS} sequential calls per operation, in ${ROUNDS} interleaved rounds, after ${WARMUP_SECONDS} s of mixed warm-up traffic and ${WARMUP_CALLS} calls each; p99 on a shared 2-core machine is mostly scheduling noise.`,
    `- Stampede: ${STAMPEDE.instances} instances of each (own clients, connections, L1), each having made one call before (connections open, our namespace's generation created), out of the count.`,
    '- **(N×)** after a peer\'s figure = that figure ÷ ours, measured in the same run ("ours 0": ours spent nothing).',
    '',
    '## cache.getOrSet',
    '',
    ...cacheTable(r.cache),
    '',
    '## rateLimit',
    '',
    'Naive **A** = INCR, then EXPIRE on count 1 (fixed window started by the first call); **B** = GET, refuse at the limit, else INCR (+EXPIRE): check-then-act.',
    '@upstash/ratelimit = `new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(limit, window) })`, its defaults (in-process cache of refused identifiers on).',
    '',
    ...rateLimitTable(r.rateLimit),
    '',
    `A process dying between INCR and EXPIRE leaves naive A's counter with PTTL ${crashTtl.naiveA}${crashTtl.naiveA < 0 ? ' (never expires: refused forever once at the limit)' : ''}; ours sends INCR and PEXPIRE NX in one request (PTTL ${crashTtl.ours.join(', ')} ms after a first call).`,
    '',
    '## queue',
    '',
    'Ours = reserve / ack (at-least-once: a job whose consumer dies comes back after its lease); naive = LPUSH / RPOP (at-most-once).',
    '',
    ...queueTable(r.queue),
    '',
    'Billed commands of ours against docs/helpers.md (a difference may be a bug):',
    ...budgeted.map((c) => `- ${c.ok ? 'as documented' : 'DIFFERENT'}: ${c.text}`),
    '',
    'Checks (ours; a failure makes the run exit non-zero):',
    ...checked.map((c) => `- ${c.ok ? 'ok' : 'FAILED'}: ${c.text}`),
    '',
  ].join('\n')
}

export interface HelpersBenchResult {
  machine: MachineInfo & { loadAvgAfter: number[]; seconds: number }
  results: Results
  checks: { text: string; ok: boolean }[]
  budget: { text: string; ok: boolean }[]
  markdown: string
}

/** Runs the helper benchmark on its own stack; `save` writes bench/results/helpers-<date>.{md,json}. */
export async function runHelpersBench(
  options: { quick?: boolean; save?: boolean; log?: boolean } = {},
): Promise<HelpersBenchResult> {
  configure(options.quick ?? QUICK)
  const log = options.log === false ? () => {} : console.log
  const info = machineInfo()
  const t0 = performance.now()
  log(`bench:helpers${QUICK ? ' --quick' : ''} on ${info.cpu} × ${info.cpuCount}, load ${info.loadAvgBefore.join(' ')}`)
  const stack = await startBenchStack()
  const bentos: BentoInstance[] = []
  try {
    const ctxEnv = ctxEnvOf(stack)
    const ctx = createContext(ctxEnv)
    let seq = 0
    const env: Env = {
      stack,
      ctxEnv,
      naive: createNaiveHelpers(restClient(stack.env), 'naive'),
      rateLimit: createRateLimit(ctx),
      // Enough attempts that a job whose consumer died is retried, not dead-lettered, in the crash run.
      queue: createQueue(ctx, { maxAttempts: 10 }),
      next: (label) => `${label}-${++seq}`,
      bentos,
      bento(l1) {
        const b = bentoInstance(stack.env.REDIS_URL, { l1, prefix: 'bento' })
        bentos.push(b)
        return b
      },
    }
    log('warm-up…')
    await warmUp(
      env,
      { l2: env.bento(false).namespace('warm'), l1l2: env.bento(true).namespace('warm') },
      upstashRatelimit(stack.env, 'bench-url-warm', 1e9, 60),
    )
    log('cache…')
    const cache = await cacheSection(env)
    log('rate limit…')
    const rateLimit = await rateLimitSection(env)
    log('queue…')
    const queue = await queueSection(env)
    const results: Results = { rateLimit, cache, queue }

    const full = { ...info, loadAvgAfter: loadAvg(), seconds: Math.round((performance.now() - t0) / 1000) }
    const checked = checks(results)
    const budgeted = budget(results)
    const md = toMarkdown(full, results, checked, budgeted)
    log(`\n${md}`)
    if (options.save !== false) {
      const dir = path.resolve('bench/results')
      mkdirSync(dir, { recursive: true })
      const stamp = full.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')
      writeFileSync(path.join(dir, `helpers-${stamp}.md`), md)
      const settings = {
        QUICK,
        CALLS,
        ROUNDS,
        WARMUP_SECONDS,
        WARMUP_CALLS,
        COST_CALLS,
        RATE_LIMIT,
        BOUNDARY,
        STAMPEDE,
        INVALIDATE,
        JOBS,
      }
      writeFileSync(
        path.join(dir, `helpers-${stamp}.json`),
        `${JSON.stringify({ machine: full, settings, results, budget: budgeted, checks: checked }, null, 2)}\n`,
      )
      log(`saved bench/results/helpers-${stamp}.md and .json`)
    }
    return { machine: full, results, checks: checked, budget: budgeted, markdown: md }
  } finally {
    await Promise.all(bentos.map((b) => b.close().catch(() => undefined)))
    await stack.stop()
  }
}

async function main(): Promise<void> {
  try {
    const { checks: checked } = await runHelpersBench()
    if (checked.some((c) => !c.ok)) process.exitCode = 1
  } catch (err) {
    console.error(err)
    process.exitCode = 1
  }
}

// Run directly (npm run bench:helpers); imported by bench/all.ts.
if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err)
    process.exit(1)
  })
}
