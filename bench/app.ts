/**
 * `npm run bench:app`: the app's cost and speed per request, against the real production server
 * (next build + scripts/serve.ts), a private redis-server behind the local endpoint, and SQLite.
 *
 * For `GET /api/dossiers` as a logged-in user:
 *   - billed Upstash commands per request, counted on the redis-server (INFO commandstats deltas: a
 *     script counts 1 + every command it runs, as Upstash bills it), with the per-command breakdown;
 *   - HTTP round trips from the app to the Upstash endpoint per request (counted by a pass-through
 *     proxy in front of the endpoint);
 *   - p50/p99 latency (sequential) and req/s (10 concurrent clients), warm cache vs cache bypassed
 *     (a second server with DOSSIER_CACHE_TTL_SECONDS=0), interleaved so both see the same machine;
 *   - the proxy's own time per request (its Server-Timing header).
 * Writes bench/results/app-<date>.{json,md} and prints the table.   npm run bench:app [-- --quick]
 */
import { writeFileSync } from 'node:fs'
import { createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { createClient } from 'redis'
import { createCache, createContext } from '@/lib/upstash'
import { seedDemo } from '../prisma/seed'
import { Client, ensureBuilt, startApp, type RunningApp } from '../testing/app'
import { tempDatabase } from '../testing/database'
import { spawn } from 'node:child_process'
import { loadAvg, machineInfo, percentile, startBenchStack, stopChild } from './support'

// Settings: from --quick when run directly, from runAppBench's options when bench/all.ts calls it.
let QUICK = false
let SEQUENTIAL = 1000
let COST_REQUESTS = 100
let THROUGHPUT_MS = 5000
const CONCURRENCY = 10
/** Per route: warm requests counted together (after one uncounted), and cold requests counted one by one. */
let ROUTE_WARM = 20
let ROUTE_COLD = 5
function configure(quick: boolean): void {
  QUICK = quick
  SEQUENTIAL = quick ? 100 : 1000
  COST_REQUESTS = quick ? 30 : 100
  THROUGHPUT_MS = quick ? 1000 : 5000
  ROUTE_WARM = quick ? 5 : 20
  ROUTE_COLD = quick ? 2 : 5
}

/** A pass-through HTTP proxy that counts the requests (round trips) the app makes to the endpoint. */
export async function countingProxy(
  target: string,
): Promise<{ url: string; count: () => number; close(): Promise<void> }> {
  const to = new URL(target)
  let count = 0
  const server = createServer((req, res) => {
    count++
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: () => count,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  }
}

type Redis = ReturnType<typeof createClient>

/** Commands Redis ran since the last reset (commandstats counts those inside scripts too), without our own INFO/CONFIG. */
async function billed(redis: Redis): Promise<Record<string, number>> {
  const info = (await redis.sendCommand(['INFO', 'commandstats'])) as string
  const out: Record<string, number> = {}
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (m[1] === 'config|resetstat' || m[1] === 'info') continue
    out[m[1]!] = Number(m[2])
  }
  return out
}

interface Cost {
  billedPerRequest: number
  roundTripsPerRequest: number
  byCommand: Record<string, number>
}

async function measureCost(client: Client, redis: Redis, proxy: { count: () => number }): Promise<Cost> {
  await redis.sendCommand(['CONFIG', 'RESETSTAT'])
  const trips = proxy.count()
  for (let i = 0; i < COST_REQUESTS; i++) {
    const res = await client.get('/api/dossiers')
    if (res.status !== 200) throw new Error(`GET /api/dossiers: ${res.status}`)
    await res.arrayBuffer()
  }
  const byCommand = await billed(redis)
  const total = Object.values(byCommand).reduce((a, b) => a + b, 0)
  return {
    billedPerRequest: total / COST_REQUESTS,
    roundTripsPerRequest: (proxy.count() - trips) / COST_REQUESTS,
    byCommand: Object.fromEntries(Object.entries(byCommand).map(([k, v]) => [k, v / COST_REQUESTS])),
  }
}

/** Billed commands of one user action (everything Redis ran meanwhile, scripts' inner commands included). */
async function billedDuring(
  redis: Redis,
  action: () => Promise<void>,
): Promise<{ total: number; byCommand: Record<string, number> }> {
  await redis.sendCommand(['CONFIG', 'RESETSTAT'])
  await action()
  const byCommand = await billed(redis)
  return { total: Object.values(byCommand).reduce((a, b) => a + b, 0), byCommand }
}

/**
 * What a login, a dossier creation and an analysis (the request, then the worker until DONE) cost
 * in billed commands: the figures a cabinet's daily Upstash budget is made of.
 */
async function measureActions(appUrl: string, redis: Redis, env: Record<string, string>, databaseUrl: string) {
  const { createPrismaClient } = await import('../src/lib/core/prisma')
  const prisma = createPrismaClient(databaseUrl)
  const user = new Client(appUrl)
  try {
    await user.login('demo@cabinet-martin.fr') // the bucket's first call per identifier costs more: measure the steady state
    const login = await billedDuring(redis, async () => {
      const fresh = new Client(appUrl)
      await fresh.login('demo@cabinet-martin.fr')
    })
    let dossierId = ''
    const create = await billedDuring(redis, async () => {
      const res = await user.post('/api/dossiers', {
        title: 'Licenciement Roche',
        clientName: 'M. Roche',
        description: 'Audience prud’homale le 12/03/2027, indemnité réclamée 15 000 €.',
      })
      dossierId = ((await res.json()) as { dossier: { id: string } }).dossier.id
    })
    const analysis = await billedDuring(redis, async () => {
      const res = await user.post(`/api/dossiers/${dossierId}/analyze`)
      if (res.status !== 202) throw new Error(`analyze: ${res.status}`)
      const worker = spawn(
        process.execPath,
        ['--import', 'tsx', 'scripts/worker.ts', '--min-idle-ms', '1000', '--max-idle-ms', '1000'],
        {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      )
      try {
        // Watched in the database, not through the API, so the wait itself costs no Redis command.
        const deadline = Date.now() + 30_000
        while (
          (await prisma.analysis.findFirst({ where: { dossierId }, select: { status: true } }))?.status !== 'DONE'
        ) {
          if (Date.now() > deadline) throw new Error('analysis not DONE in 30 s')
          await new Promise((r) => setTimeout(r, 50))
        }
      } finally {
        await stopChild(worker)
      }
    })
    return { login, create, analysis }
  } finally {
    await prisma.$disconnect()
  }
}

interface Latency {
  p50: number
  p99: number
  proxyP50: number
  cache: string
}

/** Sequential requests, alternating between the servers so both see the same machine load. */
async function measureLatency(clients: Record<string, Client>): Promise<Record<string, Latency>> {
  const times: Record<string, number[]> = {}
  const proxy: Record<string, number[]> = {}
  const cache: Record<string, string> = {}
  for (let i = 0; i < SEQUENTIAL; i++) {
    for (const [name, client] of Object.entries(clients)) {
      const start = performance.now()
      const res = await client.get('/api/dossiers')
      await res.arrayBuffer()
      ;(times[name] ??= []).push(performance.now() - start)
      const dur = /proxy;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')
      if (dur) (proxy[name] ??= []).push(Number(dur[1]))
      cache[name] = res.headers.get('x-cache') ?? '?'
    }
  }
  const out: Record<string, Latency> = {}
  for (const name of Object.keys(clients)) {
    const t = times[name]!.sort((a, b) => a - b)
    const p = (proxy[name] ?? []).sort((a, b) => a - b)
    out[name] = { p50: percentile(t, 50), p99: percentile(t, 99), proxyP50: percentile(p, 50), cache: cache[name]! }
  }
  return out
}

async function measureThroughput(client: Client): Promise<number> {
  let done = 0
  const until = performance.now() + THROUGHPUT_MS
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        const res = await client.get('/api/dossiers')
        await res.arrayBuffer()
        done++
      }
    }),
  )
  return done / (THROUGHPUT_MS / 1000)
}

/** The API routes measured one by one, as a logged-in user of the demo cabinet Dupont. */
export const ROUTES = [
  'GET /api/dossiers',
  'GET /api/dossiers/:id',
  'GET /api/dossiers/:id/analysis',
  'GET /api/dossiers/activity',
  'GET /api/leaderboard',
  'GET /api/auth/me',
  'POST /api/dossiers',
  'PATCH /api/dossiers/:id',
  'POST /api/auth/login',
] as const
export type RouteName = (typeof ROUTES)[number]

/** Billed commands and HTTP round trips to the endpoint per request, and the X-Cache header seen. */
export interface RouteCost {
  billed: number
  roundTrips: number
  requests: number
  byCommand: Record<string, number>
  xCache: string
}

export interface RouteCosts {
  warm: RouteCost
  /** Right after the cabinet's cache was invalidated (login: an account's first login in this instance). */
  cold: RouteCost
}

/** Accounts whose first login is the cold login (never logged in before in either instance's key space). */
const COLD_LOGINS = ['avocat@cabinet-dupont.fr', 'assistant@cabinet-dupont.fr', 'avocat@cabinet-martin.fr']

/**
 * Each route's billed commands and round trips: warm = ROUTE_WARM requests in a row after one uncounted (cache
 * filled, rate-limit bucket set up in this instance); cold = ROUTE_COLD requests, each right after the cabinet's
 * cache namespace was invalidated from outside (1 SET, not counted), as after another instance's write; for login,
 * cold = the first login of an account. Commands: INFO commandstats deltas; round trips: the counting proxy.
 */
async function measureRoutes(
  appUrl: string,
  prefix: string,
  redis: Redis,
  proxy: { count: () => number },
  restEnv: { UPSTASH_REDIS_REST_URL: string; UPSTASH_REDIS_REST_TOKEN: string },
): Promise<Record<RouteName, RouteCosts>> {
  const user = new Client(appUrl)
  await user.login('demo@cabinet-dupont.fr')
  const me = (await (await user.get('/api/auth/me')).json()) as { user: { tenant: { id: string } } }
  const tenantId = me.user.tenant.id
  const created = await user.post('/api/dossiers', { title: 'Bench: dossier patché', clientName: 'M. Bench' })
  if (created.status !== 201) throw new Error(`POST /api/dossiers: ${created.status}`)
  const target = ((await created.json()) as { dossier: { id: string } }).dossier.id
  const ns = createCache(
    createContext({ ...restEnv, REDIS_KEY_PREFIX: prefix, UPSTASH_DISABLE_TELEMETRY: 'true' }),
  ).namespace(`dossiers:${tenantId}`)
  let n = 0
  const calls: Record<RouteName, { send: (cold: number) => Promise<Response>; status: number }> = {
    'GET /api/dossiers': { send: () => user.get('/api/dossiers'), status: 200 },
    'GET /api/dossiers/:id': { send: () => user.get(`/api/dossiers/${target}`), status: 200 },
    'GET /api/dossiers/:id/analysis': { send: () => user.get(`/api/dossiers/${target}/analysis`), status: 200 },
    'GET /api/dossiers/activity': { send: () => user.get('/api/dossiers/activity'), status: 200 },
    'GET /api/leaderboard': { send: () => user.get('/api/leaderboard'), status: 200 },
    'GET /api/auth/me': { send: () => user.get('/api/auth/me'), status: 200 },
    'POST /api/dossiers': {
      send: () =>
        user.post('/api/dossiers', {
          title: `Bench ${++n}`,
          clientName: 'M. Bench',
          description: 'Audience le 12/03/2027.',
        }),
      status: 201,
    },
    'PATCH /api/dossiers/:id': {
      send: () => user.patch(`/api/dossiers/${target}`, { title: `Bench: dossier patché ${++n}` }),
      status: 200,
    },
    'POST /api/auth/login': {
      // warm: an account already logged in here (its rate-limit buckets set up); cold: another account's first login
      send: (cold) =>
        new Client(appUrl).post('/api/auth/login', {
          email: cold < 0 ? 'demo@cabinet-dupont.fr' : COLD_LOGINS[cold]!,
          password: 'demo-password',
        }),
      status: 200,
    },
  }
  const once = async (name: RouteName, cold: number): Promise<string> => {
    const res = await calls[name].send(cold)
    await res.arrayBuffer()
    if (res.status !== calls[name].status) throw new Error(`${name}: ${res.status}`)
    return res.headers.get('x-cache') ?? ''
  }
  const counted = async (
    name: RouteName,
    requests: number,
    before: (() => Promise<unknown>) | undefined,
    cold: boolean,
  ): Promise<RouteCost> => {
    let billedTotal = 0
    let trips = 0
    let xCache = ''
    const byCommand: Record<string, number> = {}
    const add = (b: { total: number; byCommand: Record<string, number> }) => {
      billedTotal += b.total
      for (const [c, k] of Object.entries(b.byCommand)) byCommand[c] = (byCommand[c] ?? 0) + k
    }
    if (!cold) {
      const t = proxy.count()
      add(
        await billedDuring(redis, async () => {
          for (let i = 0; i < requests; i++) xCache = await once(name, -1)
        }),
      )
      trips += proxy.count() - t
    } else {
      for (let i = 0; i < requests; i++) {
        await before?.()
        const t = proxy.count()
        add(
          await billedDuring(redis, async () => {
            xCache = await once(name, i)
          }),
        )
        trips += proxy.count() - t
      }
    }
    return {
      billed: billedTotal / requests,
      roundTrips: trips / requests,
      requests,
      byCommand: Object.fromEntries(Object.entries(byCommand).map(([c, k]) => [c, k / requests])),
      xCache,
    }
  }
  const out = {} as Record<RouteName, RouteCosts>
  for (const name of ROUTES) {
    await once(name, -1) // uncounted: route compiled and loaded, cache filled
    const warm = await counted(name, ROUTE_WARM, undefined, false)
    const cold =
      name === 'POST /api/auth/login'
        ? await counted(name, Math.min(ROUTE_COLD, COLD_LOGINS.length), undefined, true)
        : await counted(name, ROUTE_COLD, () => ns.invalidate(), true)
    out[name] = { warm, cold }
  }
  return out
}

export interface AppBenchResult {
  machine: ReturnType<typeof machineInfo> & { loadAvgAfter: number[] }
  settings: Record<string, unknown>
  warm: Cost & Latency & { reqPerSec: number }
  bypass: Cost & Latency & { reqPerSec: number }
  actions: Awaited<ReturnType<typeof measureActions>>
  /** Per route: the cached app (warm, cold) and the app with the cache off (DOSSIER_CACHE_TTL_SECONDS=0). */
  routes: Record<RouteName, RouteCosts & { bypassed: RouteCosts }>
  targets: Record<string, boolean>
  markdown: string
}

/** Runs the app benchmark (builds the app if its build is not current); `save` writes bench/results/app-<date>.{json,md}. */
export async function runAppBench(
  options: { quick?: boolean; save?: boolean; log?: boolean } = {},
): Promise<AppBenchResult> {
  configure(options.quick ?? QUICK)
  const log = options.log === false ? () => {} : console.log
  const machine = machineInfo()
  console.error('[bench:app] building the app (skipped when the build is current)…')
  const build = await ensureBuilt()
  const stack = await startBenchStack()
  const proxy = await countingProxy(stack.env.UPSTASH_REDIS_REST_URL)
  const redis = createClient({ url: stack.env.REDIS_URL })
  await redis.connect()
  const db = tempDatabase('bench-app')
  const apps: RunningApp[] = []
  try {
    await seedDemo(db.url, () => {})
    const env = {
      ...build,
      UPSTASH_REDIS_REST_URL: proxy.url,
      UPSTASH_REDIS_REST_TOKEN: stack.env.UPSTASH_REDIS_REST_TOKEN,
      UPSTASH_DISABLE_TELEMETRY: 'true',
      DATABASE_URL: db.url,
      RATE_LIMIT_MAX: '1000000',
      LOGIN_MAX_PER_ADDRESS: '100000',
      LOGIN_MAX_PER_EMAIL: '100000',
      LOGIN_MAX_PER_EMAIL_AND_ADDRESS: '10000',
      // The /status usage counter adds at most 1 command a minute per instance: left out of what is measured here.
      UPSTASH_USAGE_FLUSH_SECONDS: '0',
    }
    const [warmApp, bypassApp] = await Promise.all([
      startApp({ ...env, REDIS_KEY_PREFIX: 'bench-warm' }),
      startApp({ ...env, REDIS_KEY_PREFIX: 'bench-bypass', DOSSIER_CACHE_TTL_SECONDS: '0' }),
    ])
    apps.push(warmApp, bypassApp)
    const warm = new Client(warmApp.url)
    const bypass = new Client(bypassApp.url)
    await warm.login('demo@cabinet-dupont.fr')
    await bypass.login('demo@cabinet-dupont.fr')
    // JIT and caches warm: the first requests of a Next route compile and load modules.
    for (let i = 0; i < (QUICK ? 20 : 50); i++)
      await Promise.all([
        warm.get('/api/dossiers').then((r) => r.arrayBuffer()),
        bypass.get('/api/dossiers').then((r) => r.arrayBuffer()),
      ])

    const costWarm = await measureCost(warm, redis, proxy)
    const costBypass = await measureCost(bypass, redis, proxy)
    const latency = await measureLatency({ warm, bypass })
    const rpsWarm = await measureThroughput(warm)
    const rpsBypass = await measureThroughput(bypass)
    log('[bench:app] each route…')
    const restEnv = {
      UPSTASH_REDIS_REST_URL: stack.env.UPSTASH_REDIS_REST_URL,
      UPSTASH_REDIS_REST_TOKEN: stack.env.UPSTASH_REDIS_REST_TOKEN,
    }
    const warmRoutes = await measureRoutes(warmApp.url, 'bench-warm', redis, proxy, restEnv)
    const bypassRoutes = await measureRoutes(bypassApp.url, 'bench-bypass', redis, proxy, restEnv)
    const routes = Object.fromEntries(
      ROUTES.map((r) => [r, { ...warmRoutes[r], bypassed: bypassRoutes[r] }]),
    ) as AppBenchResult['routes']
    const actions = await measureActions(warmApp.url, redis, { ...env, REDIS_KEY_PREFIX: 'bench-warm' }, db.url)

    const result = {
      machine: { ...machine, loadAvgAfter: loadAvg() },
      settings: {
        sequential: SEQUENTIAL,
        costRequests: COST_REQUESTS,
        throughputMs: THROUGHPUT_MS,
        concurrency: CONCURRENCY,
        routeWarm: ROUTE_WARM,
        routeCold: ROUTE_COLD,
        quick: QUICK,
      },
      warm: { ...costWarm, ...latency.warm!, reqPerSec: rpsWarm },
      bypass: { ...costBypass, ...latency.bypass!, reqPerSec: rpsBypass },
      actions,
      routes,
      targets: {
        warmBilledAtMost3: costWarm.billedPerRequest <= 3,
        warmRoundTripsAtMost2: costWarm.roundTripsPerRequest <= 2,
        warmFasterThanBypass: latency.warm!.p50 < latency.bypass!.p50,
      },
    }
    const f = (n: number, d = 2) => n.toFixed(d)
    const breakdown = (c: Cost) =>
      Object.entries(c.byCommand)
        .map(([k, v]) => `${k} ${f(v, 1)}`)
        .join(', ')
    const names = (c: RouteCost) =>
      Object.entries(c.byCommand)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => (v === 1 ? k.toUpperCase() : `${k.toUpperCase()}×${Number(v.toFixed(2))}`))
        .join('+')
    const cell = (c: RouteCost) => `${Number(c.billed.toFixed(2))} · ${Number(c.roundTrips.toFixed(2))}`
    const md = [
      `## bench:app — GET /api/dossiers (logged in, ${machine.date})`,
      '',
      `${machine.cpuCount}× ${machine.cpu}, Node ${machine.node}, ${machine.redis}; load ${machine.loadAvgBefore.join('/')} → ${result.machine.loadAvgAfter.join('/')}.`,
      '',
      '| | warm cache | cache bypassed | warm / bypassed |',
      '| --- | ---: | ---: | ---: |',
      `| X-Cache | ${latency.warm!.cache} | ${latency.bypass!.cache} | |`,
      `| billed Upstash commands / request | **${f(costWarm.billedPerRequest)}** | ${f(costBypass.billedPerRequest)} | ${f(costWarm.billedPerRequest / costBypass.billedPerRequest)} |`,
      `| HTTP round trips to Upstash / request | **${f(costWarm.roundTripsPerRequest)}** | ${f(costBypass.roundTripsPerRequest)} | |`,
      `| p50 latency ms (sequential, ${SEQUENTIAL} each, interleaved) | ${f(latency.warm!.p50)} | ${f(latency.bypass!.p50)} | ${f(latency.warm!.p50 / latency.bypass!.p50)} |`,
      `| p99 latency ms | ${f(latency.warm!.p99)} | ${f(latency.bypass!.p99)} | ${f(latency.warm!.p99 / latency.bypass!.p99)} |`,
      `| req/s (${CONCURRENCY} concurrent, ${THROUGHPUT_MS / 1000} s) | ${f(rpsWarm, 0)} | ${f(rpsBypass, 0)} | ${f(rpsWarm / rpsBypass)} |`,
      `| proxy time p50 ms (Server-Timing) | ${f(latency.warm!.proxyP50)} | ${f(latency.bypass!.proxyP50)} | |`,
      '',
      `Billed commands by name per request — warm: ${breakdown(costWarm)}; bypassed: ${breakdown(costBypass)}.`,
      '',
      `### Each route: billed commands · HTTP round trips to Upstash per request`,
      '',
      `Warm: ${ROUTE_WARM} requests in a row after an uncounted one. Cold: ${ROUTE_COLD} requests, each right after the cabinet's cache was invalidated (login: an account's first login).`,
      'Cache off: the same requests on the instance with DOSSIER_CACHE_TTL_SECONDS=0.',
      '',
      '| route | warm | cold | cache off: warm · cold | warm commands (X-Cache) | cold commands (X-Cache) |',
      '| --- | ---: | ---: | ---: | --- | --- |',
      ...ROUTES.map((r) => {
        const x = routes[r]
        return `| ${r} | **${cell(x.warm)}** | ${cell(x.cold)} | ${cell(x.bypassed.warm)} · ${cell(x.bypassed.cold)} | ${names(x.warm)}${x.warm.xCache ? ` (${x.warm.xCache})` : ''} | ${names(x.cold)}${x.cold.xCache ? ` (${x.cold.xCache})` : ''} |`
      }),
      '',
      '| action (billed Upstash commands) | total | of which |',
      '| --- | ---: | --- |',
      `| warm dossier list (page view) | ${f(costWarm.billedPerRequest, 0)} | ${breakdown(costWarm)} |`,
      ...(['login', 'create', 'analysis'] as const).map(
        (k) =>
          `| ${{ login: 'login', create: 'create a dossier', analysis: 'analysis: request + worker until DONE (its start-up check and 1 s polls included)' }[k]} | ${actions[k].total} | ${Object.entries(
            actions[k].byCommand,
          )
            .map(([c, n]) => `${c} ${n}`)
            .join(', ')} |`,
      ),
      '',
      `Upstash's free tier (10 000 commands a day) is ${Math.floor(10_000 / costWarm.billedPerRequest)} warm page views, or ${Math.floor(10_000 / actions.analysis.total)} analyses.`,
      '',
      `Targets: warm ≤ 3 billed commands: ${result.targets.warmBilledAtMost3 ? 'met' : '**not met**'}; ≤ 2 round trips: ${result.targets.warmRoundTripsAtMost2 ? 'met' : '**not met**'}; warm faster than bypassed: ${result.targets.warmFasterThanBypass ? 'met' : '**not met**'}.`,
      '',
    ].join('\n')
    if (options.save !== false) {
      const stamp = machine.date.replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z')
      const dir = path.resolve(__dirname, 'results')
      writeFileSync(path.join(dir, `app-${stamp}.json`), JSON.stringify(result, null, 2))
      writeFileSync(path.join(dir, `app-${stamp}.md`), md)
    }
    log(md)
    return { ...result, markdown: md }
  } finally {
    for (const a of apps) await a.stop()
    await redis.close()
    await proxy.close()
    await stack.stop()
    db.remove()
  }
}

// Run directly (npm run bench:app [-- --quick]); imported by bench/all.ts.
if (require.main === module) {
  runAppBench({ quick: process.argv.includes('--quick') }).catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
