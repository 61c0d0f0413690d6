/**
 * `npx tsx bench/database.ts [--quick]`: the two drivers that can open a `file:` database, side by
 * side on the same seeded file, through the app's own Prisma client (createPrismaClient):
 * better-sqlite3 (@prisma/adapter-better-sqlite3, the default) and libSQL's native binding
 * (@prisma/adapter-libsql, DATABASE_DRIVER=libsql). What decided which one opens `file:` URLs:
 *   - the dossier list query (what GET /api/dossiers runs on a cache miss): p50/p99 sequential, and
 *     queries/s with 10 concurrent callers in one process;
 *   - a dossier create: p50 sequential;
 *   - several processes writing the same file at once (the app server and the worker share it):
 *     creates that failed (SQLITE_BUSY) out of those attempted.
 * Prints a markdown table; saves nothing.
 */
import { spawn } from 'node:child_process'
import { createPrismaClient, type DatabaseConfig } from '@/lib/core/prisma'
import { seedDemo } from '../prisma/seed'
import { tempDatabase } from '../testing/database'
import { loadAvg, machineInfo, percentile } from './support'

type Driver = DatabaseConfig['driver']
const DRIVERS: Driver[] = ['better-sqlite3', 'libsql']
const QUICK = process.argv.includes('--quick')
const SEQUENTIAL = QUICK ? 300 : 1000
const CONCURRENT_MS = QUICK ? 1000 : 3000
const WRITES = QUICK ? 100 : 300
const PROCESSES = 4
const WRITES_PER_PROCESS = QUICK ? 100 : 200
const TENANT = 'cabinet-dupont'

const client = (url: string, driver: Driver) => createPrismaClient({ url, kind: 'file', driver })

/** Child mode: `--writer <url> <driver> <n>` creates n dossiers as fast as it can, prints `{ ok, failed, firstError }`. */
async function writer(url: string, driver: Driver, n: number): Promise<void> {
  const prisma = client(url, driver)
  let ok = 0
  let failed = 0
  let firstError: string | undefined
  for (let i = 0; i < n; i++) {
    try {
      await prisma.dossier.create({
        data: { tenantId: TENANT, reference: `W-${process.pid}-${i}`, title: 'Concurrent write', clientName: 'Client' },
      })
      ok++
    } catch (err) {
      failed++
      firstError ??= (err as Error).message.split('\n').filter(Boolean).at(-1)
    }
  }
  await prisma.$disconnect()
  console.log(JSON.stringify({ ok, failed, firstError }))
}

async function processes(
  url: string,
  driver: Driver,
): Promise<{ ok: number; failed: number; firstError?: string; ms: number }> {
  const start = performance.now()
  const results = await Promise.all(
    Array.from(
      { length: PROCESSES },
      () =>
        new Promise<{ ok: number; failed: number; firstError?: string }>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', __filename, '--writer', url, driver, String(WRITES_PER_PROCESS)],
            { stdio: ['ignore', 'pipe', 'inherit'] },
          )
          let out = ''
          child.stdout.on('data', (d) => (out += String(d)))
          child.once('exit', (code) =>
            code === 0
              ? resolve(JSON.parse(out.trim().split('\n').at(-1)!))
              : reject(new Error(`writer exited ${code}`)),
          )
        }),
    ),
  )
  return {
    ok: results.reduce((a, r) => a + r.ok, 0),
    failed: results.reduce((a, r) => a + r.failed, 0),
    firstError: results.find((r) => r.firstError)?.firstError,
    ms: performance.now() - start,
  }
}

async function main(): Promise<void> {
  const machine = machineInfo()
  const db = tempDatabase('bench-database')
  await seedDemo(db.url, () => {})
  const clients = Object.fromEntries(DRIVERS.map((d) => [d, client(db.url, d)])) as Record<
    Driver,
    ReturnType<typeof client>
  >
  const list = (d: Driver) =>
    clients[d].dossier.findMany({ where: { tenantId: TENANT }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] })
  const reads: Record<Driver, number[]> = { 'better-sqlite3': [], libsql: [] }
  const writes: Record<Driver, number[]> = { 'better-sqlite3': [], libsql: [] }
  const rps: Record<Driver, number[]> = { 'better-sqlite3': [], libsql: [] }
  try {
    for (const d of DRIVERS) for (let i = 0; i < 50; i++) await list(d) // warm-up: connection, JIT
    // Interleaved in 10 rounds so both drivers see the same machine (it is shared).
    for (let round = 0; round < 10; round++) {
      for (const d of DRIVERS) {
        for (let i = 0; i < SEQUENTIAL / 10; i++) {
          const t = performance.now()
          await list(d)
          reads[d].push(performance.now() - t)
        }
        for (let i = 0; i < WRITES / 10; i++) {
          const t = performance.now()
          await clients[d].dossier.create({
            data: {
              tenantId: 'cabinet-martin',
              reference: `B-${d}-${round}-${i}`,
              title: 'Bench',
              clientName: 'Client',
            },
          })
          writes[d].push(performance.now() - t)
        }
      }
    }
    for (let round = 0; round < 2; round++) {
      for (const d of DRIVERS) {
        let done = 0
        const end = performance.now() + CONCURRENT_MS / 2
        await Promise.all(
          Array.from({ length: 10 }, async () => {
            while (performance.now() < end) {
              await list(d)
              done++
            }
          }),
        )
        rps[d].push(done / (CONCURRENT_MS / 2000))
      }
    }
    const multi: Record<string, Awaited<ReturnType<typeof processes>>> = {}
    for (const d of DRIVERS) multi[d] = await processes(db.url, d)

    const f = (n: number, digits = 2) => n.toFixed(digits)
    const sorted = (a: number[]) => Float64Array.from(a).sort()
    const rows = DRIVERS.map((d) => {
      const r = sorted(reads[d])
      const w = sorted(writes[d])
      const m = multi[d]!
      return `| ${d} | ${f(percentile(r, 50))} | ${f(percentile(r, 99))} | ${f(rps[d].reduce((a, b) => a + b, 0) / rps[d].length, 0)} | ${f(percentile(w, 50))} | ${m.failed} of ${m.ok + m.failed}${m.firstError ? ` (${m.firstError.slice(0, 60)})` : ''} |`
    })
    console.log(
      [
        `## bench/database.ts — a file: database through the app's Prisma client (${machine.date}${QUICK ? ', quick' : ''})`,
        '',
        `${machine.cpuCount}× ${machine.cpu}, Node ${machine.node}; load ${machine.loadAvgBefore.join('/')} → ${loadAvg().join('/')}.`,
        '',
        `| driver | list p50 ms | list p99 ms | list/s, 10 concurrent | create p50 ms | ${PROCESSES} processes × ${WRITES_PER_PROCESS} creates on one file: failed (SQLITE_BUSY, which Prisma reports as "Operation has timed out") |`,
        '| --- | ---: | ---: | ---: | ---: | --- |',
        ...rows,
        '',
        `List: Cabinet Dupont's dossiers (the demo's dozen, newest first) as GET /api/dossiers reads them on a miss, ${SEQUENTIAL} sequential each, interleaved.`,
      ].join('\n'),
    )
  } finally {
    for (const c of Object.values(clients)) await c.$disconnect()
    db.remove()
  }
}

if (process.argv[2] === '--writer') {
  void writer(process.argv[3]!, process.argv[4] as Driver, Number(process.argv[5]))
} else {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
