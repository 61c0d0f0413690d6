/**
 * `npm run bench [-- --quick]`: every benchmark of the project in one run, each figure next to its peer's
 * measured in the same run, as one table.
 *   1. endpoint (bench/endpoint.ts): @upstash/redis → the local endpoint vs a direct TCP client and vs a null endpoint;
 *   2. cache and rate limit (bench/helpers.ts): ours vs plain cache-aside and BentoCache; ours vs @upstash/ratelimit
 *      and the seed's INCR+EXPIRE;
 *   3. queue (bench/queue.ts): ours over REST vs BullMQ over TCP on the same redis-server;
 *   4. app (bench/app.ts): the production server, billed commands and round trips per request of each API route,
 *      warm and cold, against the same app with its cache off.
 * Each part starts its own redis-server (+ endpoint), one after the other, so they never compete for the cores.
 * Writes bench/results/latest.{json,md} (--quick: latest-quick.{json,md}) and the same as all-<date>[-quick].{json,md}. Exits non-zero if ours over-admits,
 * loses (or completes twice) a job, or calls a loader more than once on a stampede.
 * Full run ≤ 5 minutes, --quick ≤ 1 minute (the app's `next build` excluded: done once per version of the sources).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { runAppBench, ROUTES, type AppBenchResult } from './app'
import { runEndpointBench, type EndpointBenchResult } from './endpoint'
import { BOUNDARY, RATE_LIMIT, runHelpersBench, STAMPEDE, type HelpersBenchResult } from './helpers'
import { QUEUE_SETTINGS, runQueueBench, type QueueBenchResult } from './queue'
import { loadAvg, machineInfo } from './support'
import { ensureBuilt } from '../testing/app'

const QUICK = process.argv.includes('--quick')

type Check = { text: string; ok: boolean }
/** One row of the combined table: ours against one peer. */
interface Row {
  area: string
  measure: string
  ours: string
  peer: string
  peerValue: string
  /** Peer ÷ ours of the row's main number ('' when not meaningful). */
  ratio: string
}

const n = (x: number, d = 2) =>
  Number.isFinite(x) ? Number(x.toFixed(d)).toLocaleString('en-US', { maximumFractionDigits: d }) : '–'
function ratio(peer: number, ours: number): string {
  if (!Number.isFinite(peer) || !Number.isFinite(ours)) return ''
  if (ours === 0) return peer === 0 ? '=' : 'ours 0'
  return `${n(peer / ours)}×`
}

function endpointRows(e: EndpointBenchResult): Row[] {
  const rows: Row[] = []
  const cases = [...new Set(e.rows.map((r) => r.case))]
  for (const cs of cases) {
    const of = (re: RegExp) => e.rows.find((r) => r.case === cs && re.test(r.client))
    const ours = of(/^endpoint/)
    if (!ours) continue
    const fig = (r: { opsPerSec: number; p50Ms: number }) => `${n(r.opsPerSec, 0)} ops/s · p50 ${n(r.p50Ms, 3)} ms`
    const measure = `${cs}${ours.client.includes('auto') ? ` (${ours.client.replace('endpoint, ', '')})` : ''}: ${cs.startsWith('pipeline') ? 'commands/s' : 'ops/s'} · p50`
    const direct = of(/^direct$/)
    const nul = of(/^null server/)
    if (direct)
      rows.push({
        area: 'endpoint',
        measure,
        ours: fig(ours),
        peer: 'direct TCP (node-redis)',
        peerValue: fig(direct),
        ratio: ratio(direct.opsPerSec, ours.opsPerSec),
      })
    if (nul)
      rows.push({
        area: 'endpoint',
        measure,
        ours: fig(ours),
        peer: 'null endpoint (no Redis)',
        peerValue: fig(nul),
        ratio: ratio(nul.opsPerSec, ours.opsPerSec),
      })
  }
  return rows
}

function cacheRows(h: HelpersBenchResult): Row[] {
  const c = h.results.cache
  const peers = [
    ['naive', 'plain cache-aside'],
    ['bentoL2', 'BentoCache L2 (TCP)'],
    ['bentoL1L2', 'BentoCache L1+L2 (TCP)'],
  ] as const
  const rows: Row[] = []
  const add = (
    measure: string,
    ours: number,
    of: (p: (typeof peers)[number][0]) => number,
    fmt = (x: number) => n(x),
  ) => {
    for (const [p, label] of peers)
      rows.push({
        area: 'cache',
        measure,
        ours: fmt(ours),
        peer: label,
        peerValue: fmt(of(p)),
        ratio: ratio(of(p), ours),
      })
  }
  add('hit: billed commands', c.ops.hit.ours.perCall, (p) => c.ops.hit[p].perCall)
  add('miss: billed commands', c.ops.miss.ours.perCall, (p) => c.ops.miss[p].perCall)
  const lat = (s: { p50Ms: number; p99Ms: number }) => `${n(s.p50Ms)} · ${n(s.p99Ms)}`
  for (const op of ['hit', 'miss'] as const) {
    for (const [p, label] of peers) {
      rows.push({
        area: 'cache',
        measure: `${op}: p50 · p99 ms`,
        ours: lat(c.ops[op].ours),
        peer: label,
        peerValue: lat(c.ops[op][p]),
        ratio: ratio(c.ops[op][p].p50Ms, c.ops[op].ours.p50Ms),
      })
    }
  }
  add(
    `${STAMPEDE.callers} concurrent misses over ${STAMPEDE.instances} instances: loader calls`,
    c.stampede.ours.loaderCalls,
    (p) => c.stampede[p].loaderCalls,
    (x) => n(x, 0),
  )
  add(
    'same: billed commands in all',
    c.stampede.ours.billed,
    (p) => c.stampede[p].billed,
    (x) => n(x, 0),
  )
  return rows
}

function rateLimitRows(h: HelpersBenchResult): Row[] {
  const r = h.results.rateLimit
  const peers = [
    ['upstash', '@upstash/ratelimit (sliding window)'],
    ['naiveA', "seed's INCR+EXPIRE"],
  ] as const
  const rows: Row[] = []
  const add = (
    measure: string,
    ours: number,
    of: (p: (typeof peers)[number][0]) => number,
    fmt = (x: number) => n(x),
  ) => {
    for (const [p, label] of peers)
      rows.push({
        area: 'rate limit',
        measure,
        ours: fmt(ours),
        peer: label,
        peerValue: fmt(of(p)),
        ratio: ratio(of(p), ours),
      })
  }
  add('steady state: billed commands per call', r.ops.steady.ours.perCall, (p) => r.ops.steady[p].perCall)
  add("a bucket's first call: billed commands", r.ops.first.ours.perCall, (p) => r.ops.first[p].perCall)
  add('steady state: p50 ms', r.ops.steady.ours.p50Ms, (p) => r.ops.steady[p].p50Ms)
  add(
    `${n(RATE_LIMIT.calls, 0)} concurrent calls, limit ${RATE_LIMIT.limit}, ${RATE_LIMIT.instances} instances: admitted`,
    r.concurrent.ours.admitted,
    (p) => r.concurrent[p].admitted,
    (x) => n(x, 0),
  )
  rows.push({
    area: 'rate limit',
    measure: rows[rows.length - 1]!.measure,
    ours: n(r.concurrent.ours.admitted, 0),
    peer: "seed's GET, then INCR",
    peerValue: n(r.concurrent.naiveB.admitted, 0),
    ratio: ratio(r.concurrent.naiveB.admitted, r.concurrent.ours.admitted),
  })
  add(
    'same: billed commands in all',
    r.concurrent.ours.billed,
    (p) => r.concurrent[p].billed,
    (x) => n(x, 0),
  )
  add(
    `2 bursts of ${BOUNDARY.limit} across a window's edge (limit ${BOUNDARY.limit} / ${BOUNDARY.windowSeconds} s): admitted`,
    r.boundary.ours.admitted,
    (p) => r.boundary[p].admitted,
    (x) => n(x, 0),
  )
  const ttl = r.ttlAfterCrash
  rows.push({
    area: 'rate limit',
    measure: 'process dies after the first INCR: counter TTL',
    ours: `${ttl.ours.map((t) => `${n(t / 1000, 0)} s`).join(', ')} (one request)`,
    peer: "seed's INCR+EXPIRE",
    peerValue: ttl.naiveA < 0 ? 'none (never expires)' : `${n(ttl.naiveA / 1000, 0)} s`,
    ratio: '',
  })
  return rows
}

function queueRows(q: QueueBenchResult, h: HelpersBenchResult): Row[] {
  const t = q.throughput
  const c = q.crash
  const naive = h.results.queue
  const { crash } = QUEUE_SETTINGS
  const fate = (x: { completed: number; lost: number; duplicates: number }) =>
    `${x.completed} · ${x.lost} · ${x.duplicates}`
  return [
    {
      area: 'queue',
      measure: `${t.ours.jobs} jobs push → process → ack, ${QUEUE_SETTINGS.full.workers} workers: jobs/s`,
      ours: n(t.ours.jobsPerSec, 0),
      peer: 'BullMQ (TCP)',
      peerValue: n(t.bullmq.jobsPerSec, 0),
      ratio: ratio(t.bullmq.jobsPerSec, t.ours.jobsPerSec),
    },
    {
      area: 'queue',
      measure: "same: billed commands per job (scripts' inner commands included)",
      ours: n(t.ours.billedPerJob),
      peer: 'BullMQ (TCP)',
      peerValue: n(t.bullmq.billedPerJob),
      ratio: ratio(t.bullmq.billedPerJob, t.ours.billedPerJob),
    },
    {
      area: 'queue',
      measure: 'a job push → take → ack, sequential: billed commands',
      ours: n(naive.steps.ours.total),
      peer: "seed's LPUSH/RPOP",
      peerValue: n(naive.steps.naive.total),
      ratio: ratio(naive.steps.naive.total, naive.steps.ours.total),
    },
    {
      area: 'queue',
      measure: `${crash.jobs} jobs, ${crash.consumers} consumers, 1 in ${crash.crashEvery} dies holding its job: completed · lost · twice`,
      ours: fate(c.ours),
      peer: 'BullMQ (stalled-job check)',
      peerValue: fate(c.bullmq),
      ratio: ratio(c.bullmq.lost, c.ours.lost),
    },
    {
      area: 'queue',
      measure: 'same: time to drain · billed commands per job',
      ours: `${n(c.ours.drainMs / 1000)} s · ${n(c.ours.billedPerJob)}`,
      peer: 'BullMQ (stalled-job check)',
      peerValue: `${n(c.bullmq.drainMs / 1000)} s · ${n(c.bullmq.billedPerJob)}`,
      ratio: ratio(c.bullmq.drainMs, c.ours.drainMs),
    },
    {
      area: 'queue',
      measure: `same, ${h.results.queue.crash.ours.completed + h.results.queue.crash.ours.lost} jobs (helpers' run): completed · lost · twice`,
      ours: fate(naive.crash.ours),
      peer: "seed's LPUSH/RPOP",
      peerValue: fate(naive.crash.naive),
      ratio: '',
    },
  ]
}

function appRows(a: AppBenchResult): Row[] {
  const rows: Row[] = []
  const fig = (c: { billed: number; roundTrips: number }) => `${n(c.billed)} · ${n(c.roundTrips)}`
  for (const route of ROUTES) {
    const r = a.routes[route]
    rows.push({
      area: 'app',
      measure: `${route}, warm: billed · round trips`,
      ours: fig(r.warm),
      peer: 'same app, cache off',
      peerValue: fig(r.bypassed.warm),
      ratio: ratio(r.bypassed.warm.billed, r.warm.billed),
    })
    rows.push({
      area: 'app',
      measure: `${route}, cold: billed · round trips`,
      ours: fig(r.cold),
      peer: 'same app, cache off',
      peerValue: fig(r.bypassed.cold),
      ratio: ratio(r.bypassed.cold.billed, r.cold.billed),
    })
  }
  rows.push({
    area: 'app',
    measure: 'GET /api/dossiers sequential: p50 · p99 ms',
    ours: `${n(a.warm.p50)} · ${n(a.warm.p99)}`,
    peer: 'same app, cache off',
    peerValue: `${n(a.bypass.p50)} · ${n(a.bypass.p99)}`,
    ratio: ratio(a.bypass.p50, a.warm.p50),
  })
  rows.push({
    area: 'app',
    measure: 'GET /api/dossiers, 10 concurrent: req/s',
    ours: n(a.warm.reqPerSec, 0),
    peer: 'same app, cache off',
    peerValue: n(a.bypass.reqPerSec, 0),
    ratio: ratio(a.bypass.reqPerSec, a.warm.reqPerSec),
  })
  return rows
}

function checksOf(h: HelpersBenchResult, q: QueueBenchResult): Check[] {
  const t = q.throughput.ours
  const c = q.crash.ours
  return [
    ...h.checks,
    {
      text: `queue throughput run: all ${t.jobs} jobs completed once (completed ${t.completed}, twice ${t.duplicates})`,
      ok: t.completed === t.jobs && t.duplicates === 0,
    },
    {
      text: `queue, consumers dying (lease ${QUEUE_SETTINGS.LEASE_MS} ms): no job lost or completed twice (lost ${c.lost}, twice ${c.duplicates})`,
      ok: c.lost === 0 && c.duplicates === 0,
    },
  ]
}

async function main(): Promise<void> {
  const machine = machineInfo()
  const took: Record<string, number> = {}
  const loads: Record<string, number[]> = {}
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    loads[name] = loadAvg()
    const t = performance.now()
    console.error(`[bench] ${name}… (load ${loads[name]!.join(' ')})`)
    const out = await run()
    took[name] = Math.round((performance.now() - t) / 100) / 10
    console.error(`[bench] ${name}: ${took[name]} s`)
    return out
  }
  console.error(
    `[bench]${QUICK ? ' --quick' : ''} ${machine.cpu} × ${machine.cpuCount}, load ${machine.loadAvgBefore.join(' ')}`,
  )
  // The production build, once per version of the sources (minutes when it is not current): outside the timed run.
  const buildStart = performance.now()
  await ensureBuilt()
  const buildSeconds = Math.round((performance.now() - buildStart) / 100) / 10
  const runStart = performance.now()

  const endpoint = await step('endpoint', () =>
    runEndpointBench({
      seconds: QUICK ? 0.4 : 1.5,
      warmupSeconds: QUICK ? 0.15 : 0.5,
      cases: QUICK ? /^(GET c=1|GET c=50|pipeline×100 c=1)$/ : /./,
      // Each client as it is meant to be used: one request per call at c=1, auto-pipelining at c=50.
      pick: (cs, client) =>
        cs.startsWith('pipeline')
          ? true
          : cs.endsWith('c=1')
            ? client.endsWith('auto off')
            : client.endsWith('auto on'),
      save: false,
      log: false,
    }),
  )
  const helpers = await step('cache + rate limit (+ helper queue)', () =>
    runHelpersBench({ quick: QUICK, save: false, log: false }),
  )
  const queue = await step('queue vs BullMQ', () => runQueueBench({ quick: QUICK, save: false, log: false }))
  const app = await step('app', () => runAppBench({ quick: QUICK, save: false, log: false }))

  const rows = [
    ...endpointRows(endpoint),
    ...cacheRows(helpers),
    ...rateLimitRows(helpers),
    ...queueRows(queue, helpers),
    ...appRows(app),
  ]
  const checks = checksOf(helpers, queue)
  const seconds = Math.round((performance.now() - runStart) / 100) / 10
  const info = {
    ...machine,
    loadAvgAfter: loadAvg(),
    loadAvgPerPart: loads,
    secondsPerPart: took,
    seconds,
    buildSeconds,
    quick: QUICK,
  }
  const table = [
    "| area | measure | ours | peer | peer's figure | peer ÷ ours |",
    '| --- | --- | ---: | --- | ---: | ---: |',
    ...rows.map((r) => `| ${r.area} | ${r.measure} | ${r.ours} | ${r.peer} | ${r.peerValue} | ${r.ratio} |`),
  ]
  const md = [
    `# npm run bench${QUICK ? ' -- --quick' : ''}: ${machine.date}`,
    '',
    `Machine: ${machine.cpu} × ${machine.cpuCount} cores, ${machine.memoryGb} GB, ${machine.os}; Node ${machine.node}; ${machine.redis}.`,
    `Load average (1/5/15 min) before ${machine.loadAvgBefore.join(' / ')}, after ${info.loadAvgAfter.join(' / ')}; at each part: ${Object.entries(
      loads,
    )
      .map(([k, v]) => `${k} ${v[0]}`)
      .join(', ')} (the machine is shared: other test runs may use the cores).`,
    `Run: ${seconds} s (${Object.entries(took)
      .map(([k, v]) => `${k} ${v} s`)
      .join(', ')}); the app's build check took ${buildSeconds} s before it.`,
    '',
    '**Ours** = the endpoint (rows "endpoint"), our helpers over @upstash/redis → the local endpoint (cache, rate limit, queue), the app with its cache (app).',
    'Billed commands = INFO commandstats deltas on a private redis-server (a Lua script = 1 + every command it runs, as Upstash bills).',
    'BentoCache and BullMQ go over TCP (ioredis) straight to redis-server: their latencies and throughput skip the HTTP hop; their billed commands are comparable.',
    "**peer ÷ ours**: the peer's figure divided by ours, same run (for ops/s, jobs/s, req/s: > 1× = the peer is faster; for commands, ms, admitted: > 1× = the peer spends / admits more).",
    '',
    ...table,
    '',
    'Checks (a failure makes the run exit non-zero):',
    ...checks.map((c) => `- ${c.ok ? 'ok' : '**FAILED**'}: ${c.text}`),
    '',
    'Details of each part follow.',
    '',
    endpoint.markdown.replace(/^# /, '## '),
    helpers.markdown.replace(/^# /gm, '## ').replace(/^## (cache|rate|queue)/gm, '### $1'),
    queue.markdown.replace(/^# /, '## '),
    app.markdown,
  ].join('\n')
  console.log(md)

  const dir = path.resolve(__dirname, 'results')
  mkdirSync(dir, { recursive: true })
  const stamp = machine.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')
  const json = `${JSON.stringify({ machine: info, rows, checks, endpoint: { rows: endpoint.rows, verdicts: endpoint.verdicts }, helpers: { results: helpers.results, budget: helpers.budget }, queue: { throughput: queue.throughput, crash: queue.crash }, app: { ...app, markdown: undefined } }, null, 2)}\n`
  // --quick keeps latest.* for the full run's figures.
  const latest = QUICK ? 'latest-quick' : 'latest'
  for (const name of [latest, `all-${stamp}${QUICK ? '-quick' : ''}`]) {
    writeFileSync(path.join(dir, `${name}.json`), json)
    writeFileSync(path.join(dir, `${name}.md`), md)
  }
  console.error(
    `[bench] saved bench/results/${latest}.{json,md} and all-${stamp}${QUICK ? '-quick' : ''}.{json,md}; ${seconds} s`,
  )
  if (checks.some((c) => !c.ok)) {
    console.error(
      `[bench] FAILED: ${checks
        .filter((c) => !c.ok)
        .map((c) => c.text)
        .join('; ')}`,
    )
    process.exitCode = 1
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0), // BullMQ's force-closed workers may leave handles: do not wait for them
  (err: unknown) => {
    console.error(err)
    process.exit(1)
  },
)
