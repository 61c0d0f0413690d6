/**
 * The libSQL adapter (@prisma/adapter-libsql, what a Turso DATABASE_URL goes through) end to end on
 * a `file:` database opened by libSQL (DATABASE_DRIVER=libsql): no Turso is reachable from here, and
 * the adapter's query code is the same for a file and a server (only the client's transport differs).
 *   - `npm run db:setup` (scripts/db-setup.ts → `prisma migrate deploy` through prisma.config.ts, then
 *     the seed) on an empty file, twice;
 *   - the production server on it: its process has libSQL's native module loaded and not
 *     better-sqlite3's; the dossier API's reads and writes; the health check.
 * Also: `NODE_ENV=production npm run db:setup` without DATABASE_URL refuses, naming it.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPrismaClient, type DatabaseConfig } from '@/lib/core/prisma'
import { Client, ROOT, startApp, type RunningApp } from '../../testing/app'
import { uniquePrefix } from '../../testing/stack'
import { createDossiersAtOnce, testAppEnv } from '../support/app'

const dir = mkdtempSync(path.join(tmpdir(), 'libsql-'))
const url = `file:${path.join(dir, 'app.db')}`
const config: DatabaseConfig = { url, kind: 'file', driver: 'libsql' }
const prisma = createPrismaClient(config)
const MIGRATIONS = readdirSync(path.join(ROOT, 'prisma/migrations'), { withFileTypes: true }).filter((d) =>
  d.isDirectory(),
).length

/** Runs scripts/db-setup.ts (what `npm run db:setup` runs) in `cwd` with `env` on top of this process's. */
function dbSetup(env: Record<string, string | undefined>, cwd = ROOT) {
  // tsx by absolute path: `cwd` may be a folder with no node_modules.
  const res = spawnSync(
    process.execPath,
    [
      '--import',
      pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href,
      path.join(ROOT, 'scripts/db-setup.ts'),
    ],
    {
      cwd,
      env: { ...process.env, CHECKPOINT_DISABLE: '1', ...env },
      encoding: 'utf8',
    },
  )
  return { status: res.status, output: `${res.stdout}\n${res.stderr}` }
}

let setup: { status: number | null; output: string }
let app: RunningApp
let dupont: Client

beforeAll(() => {
  setup = dbSetup({ DATABASE_URL: url, DATABASE_DRIVER: 'libsql', NODE_ENV: 'development' })
  if (setup.status !== 0) throw new Error(`db:setup failed:\n${setup.output}`)
}, 120_000)
afterAll(async () => {
  await prisma.$disconnect()
  rmSync(dir, { recursive: true, force: true })
})

/** The server starts once db:setup's tests are done: no idle keep-alive connection between its login and its first request. */
async function startServer(): Promise<void> {
  app = await startApp(testAppEnv(url, uniquePrefix('libsql'), { DATABASE_DRIVER: 'libsql' }))
  dupont = new Client(app.url)
  await dupont.login('demo@cabinet-dupont.fr')
}

describe('npm run db:setup through the libSQL adapter', () => {
  it('applies every migration with prisma migrate deploy through @prisma/adapter-libsql, then seeds', async () => {
    expect(setup.output).toMatch(/using driver adapter "@prisma\/adapter-libsql"/)
    expect(setup.output).toMatch(/All migrations have been successfully applied/)
    const applied = await prisma.$queryRawUnsafe<
      { migration_name: string; finished_at: unknown; rolled_back_at: unknown }[]
    >('SELECT migration_name, finished_at, rolled_back_at FROM _prisma_migrations ORDER BY migration_name')
    expect(applied).toHaveLength(MIGRATIONS)
    for (const m of applied) expect(m).toMatchObject({ finished_at: expect.anything(), rolled_back_at: null })
    expect(await prisma.tenant.count()).toBe(2)
    expect(await prisma.user.count({ where: { email: 'demo@cabinet-dupont.fr' } })).toBe(1)
  })

  it('is idempotent: a second run applies nothing and adds no duplicate', async () => {
    const dossiers = await prisma.dossier.count()
    const again = dbSetup({ DATABASE_URL: url, DATABASE_DRIVER: 'libsql', NODE_ENV: 'development' })
    expect(again.status, again.output).toBe(0)
    expect(again.output).toMatch(/No pending migrations to apply/)
    expect(await prisma.dossier.count()).toBe(dossiers)
  }, 60_000)

  it('refuses NODE_ENV=production without DATABASE_URL, naming it, and touches no database', () => {
    // An empty folder: no .env to load, no prisma/dev.db that could be migrated by mistake.
    const empty = path.join(dir, 'empty')
    mkdirSync(empty)
    const res = dbSetup(
      { NODE_ENV: 'production', DATABASE_URL: undefined, DATABASE_AUTH_TOKEN: 'SECRET-token-never-printed' },
      empty,
    )
    expect(res.status).toBe(1)
    expect(res.output).toMatch(/DATABASE_URL is required when NODE_ENV=production; expected file:<path>/)
    expect(res.output).not.toMatch(/applying migrations|migrate deploy/)
    expect(res.output).not.toContain('SECRET-token-never-printed')
    expect(readdirSync(empty)).toEqual([])
  })
})

describe('the production server on the libSQL adapter', () => {
  beforeAll(startServer, 120_000)
  afterAll(async () => {
    await app?.stop()
  })

  it('opens the database with libSQL, never better-sqlite3', () => {
    // Shared objects the server process has mapped: the native module each driver loads.
    const maps = readFileSync(`/proc/${app.child.pid}/maps`, 'utf8')
    expect(maps).toMatch(/@libsql\/linux-x64-(gnu|musl)\/index\.node/)
    expect(maps).not.toMatch(/better_sqlite3\.node/)
  })

  it('reads, creates, updates and deletes dossiers through the API', async () => {
    const listed = await dupont.get('/api/dossiers')
    expect(listed.status).toBe(200)
    const before = ((await listed.json()) as { dossiers: { id: string }[] }).dossiers.length
    expect(before).toBe(await prisma.dossier.count({ where: { tenantId: 'cabinet-dupont' } }))

    const created = await dupont.post('/api/dossiers', {
      title: 'Succession Lefèvre',
      clientName: 'Mme Lefèvre',
      description: 'Déclaration à déposer',
    })
    expect(created.status).toBe(201)
    const { dossier } = (await created.json()) as { dossier: { id: string; reference: string; status: string } }
    expect(dossier.reference).toMatch(/^DUP-\d{4}-\d{3}$/)
    const row = await prisma.dossier.findUniqueOrThrow({ where: { id: dossier.id } })
    expect(row).toMatchObject({
      tenantId: 'cabinet-dupont',
      title: 'Succession Lefèvre',
      clientName: 'Mme Lefèvre',
      status: 'OPEN',
    })
    expect(row.createdAt).toBeInstanceOf(Date)

    const after = (await (await dupont.get('/api/dossiers')).json()) as { dossiers: { id: string }[] }
    expect(after.dossiers[0]!.id).toBe(dossier.id)
    expect(after.dossiers).toHaveLength(before + 1)

    const patched = await dupont.patch(`/api/dossiers/${dossier.id}`, { status: 'IN_PROGRESS' })
    expect(patched.status).toBe(200)
    expect((await prisma.dossier.findUniqueOrThrow({ where: { id: dossier.id } })).status).toBe('IN_PROGRESS')
    expect(
      ((await (await dupont.get(`/api/dossiers/${dossier.id}`)).json()) as { dossier: { status: string } }).dossier
        .status,
    ).toBe('IN_PROGRESS')

    expect((await dupont.delete(`/api/dossiers/${dossier.id}`)).status).toBeLessThan(300)
    expect(await prisma.dossier.findUnique({ where: { id: dossier.id } })).toBeNull()
    expect((await dupont.get(`/api/dossiers/${dossier.id}`)).status).toBe(404)
  })

  it('creates concurrently: distinct references, every row stored', async () => {
    await createDossiersAtOnce(dupont, 8, (i) => ({ title: `Concurrent ${i}`, clientName: 'Client' }))
    expect(await prisma.dossier.count({ where: { title: { startsWith: 'Concurrent ' } } })).toBe(8)
  })

  it('reports the database up in /api/health', async () => {
    const res = await new Client(app.url).get('/api/health')
    const body = (await res.json()) as { database: { ok: boolean } }
    expect(body.database.ok).toBe(true)
  })
})
