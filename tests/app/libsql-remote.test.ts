/**
 * The remote database path, what Vercel + Turso runs: DATABASE_URL=http(s)/libsql + DATABASE_AUTH_TOKEN
 * → @prisma/adapter-libsql/web → @libsql/client over HTTP (Hrana) → a libSQL server. The server here
 * is tests/support/hrana-server.ts (no Turso is reachable from this machine): the same protocol
 * sqld speaks, in front of an SQLite file, checking the Bearer token.
 *   - `npm run db:setup` migrates (prisma migrate deploy) and seeds through it, with the token;
 *     a wrong token fails without printing it;
 *   - the production server on it: the dossier API, a reference already taken → 409 (the unique
 *     violation is recognised over HTTP), concurrent creation; no native database module loaded.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Prisma } from '@/generated/prisma/client'
import { createPrismaClient } from '@/lib/core/prisma'
import { Client, ROOT, startApp, type RunningApp } from '../../testing/app'
import { startHranaServer, type HranaServer } from '../support/hrana-server'
import { uniquePrefix } from '../../testing/stack'
import { createDossiersAtOnce, testAppEnv } from '../support/app'

const TOKEN = 'turso-like-token-SECRET-0123456789'
const dir = mkdtempSync(path.join(tmpdir(), 'libsql-remote-'))
let server: HranaServer
let app: RunningApp | undefined

/** Runs scripts/db-setup.ts (`npm run db:setup`). Asynchronously: the libSQL server it talks to runs in this process. */
function dbSetup(env: Record<string, string>): Promise<{ status: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/db-setup.ts'], {
    cwd: ROOT,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += String(d)))
  child.stderr.on('data', (d) => (output += String(d)))
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, output })))
}

beforeAll(async () => {
  server = await startHranaServer(path.join(dir, 'remote.db'), TOKEN)
}, 60_000)
afterAll(async () => {
  await app?.stop()
  await server?.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('npm run db:setup against a libSQL server', () => {
  it('refuses a wrong token, without printing either token', async () => {
    const res = await dbSetup({ DATABASE_URL: server.url, DATABASE_AUTH_TOKEN: 'wrong-SECRET-token' })
    expect(res.status).not.toBe(0)
    expect(res.output).not.toContain('wrong-SECRET-token')
    expect(res.output).not.toContain(TOKEN)
    expect(server.authorizations.at(-1)).toBe('Bearer wrong-SECRET-token')
  }, 60_000)

  it('applies the migrations through @prisma/adapter-libsql over HTTP, with the token, then seeds', async () => {
    const before = server.authorizations.length
    const res = await dbSetup({ DATABASE_URL: server.url, DATABASE_AUTH_TOKEN: TOKEN })
    expect(res.status, res.output).toBe(0)
    expect(res.output).toMatch(/using driver adapter "@prisma\/adapter-libsql"/)
    expect(res.output).toMatch(/All migrations have been successfully applied/)
    expect(res.output).not.toContain(TOKEN)
    const sent = server.authorizations.slice(before)
    expect(sent.length).toBeGreaterThan(0)
    expect(new Set(sent)).toEqual(new Set([`Bearer ${TOKEN}`]))
    const prisma = createPrismaClient({ url: server.url, kind: 'libsql', driver: 'libsql', authToken: TOKEN })
    try {
      expect(await prisma.tenant.count()).toBe(2)
      expect(await prisma.user.count()).toBeGreaterThan(0)
    } finally {
      await prisma.$disconnect()
    }
  }, 90_000)
})

describe("the app's Prisma client over HTTP", () => {
  it.each([
    ['extended', false],
    ['primary', true],
  ])(
    'maps SQLite errors as for a file (server sending %s codes): a unique violation is P2002, a missing row P2025; a transaction rolls back',
    async (label, primaryCodes) => {
      // A second server on the same file, sending SQLITE_CONSTRAINT rather than SQLITE_CONSTRAINT_UNIQUE when asked.
      const own = primaryCodes ? await startHranaServer(path.join(dir, 'remote.db'), TOKEN, { primaryCodes }) : server
      const prisma = createPrismaClient({ url: own.url, kind: 'libsql', driver: 'libsql', authToken: TOKEN })
      try {
        const tenant = await prisma.tenant.create({ data: { name: `Cabinet Remote ${label}` } })
        const d = await prisma.dossier.create({
          data: { tenantId: tenant.id, reference: 'R-1', title: 'Bail', clientName: 'Client' },
        })
        expect((await prisma.dossier.findUniqueOrThrow({ where: { id: d.id } })).createdAt).toBeInstanceOf(Date)
        const dup = await prisma.dossier
          .create({ data: { tenantId: tenant.id, reference: 'R-1', title: 'Again', clientName: 'Client' } })
          .catch((e: unknown) => e)
        expect(dup).toBeInstanceOf(Prisma.PrismaClientKnownRequestError)
        expect((dup as Prisma.PrismaClientKnownRequestError).code).toBe('P2002')
        const missing = await prisma.dossier
          .update({ where: { id: 'nope' }, data: { title: 'x' } })
          .catch((e: unknown) => e)
        expect((missing as Prisma.PrismaClientKnownRequestError).code).toBe('P2025')
        await expect(
          prisma.$transaction(async (tx) => {
            await tx.dossier.create({
              data: { tenantId: tenant.id, reference: 'R-2', title: 'Rolled back', clientName: 'Client' },
            })
            throw new Error('abort')
          }),
        ).rejects.toThrow('abort')
        expect(await prisma.dossier.count({ where: { tenantId: tenant.id } })).toBe(1)
        const orphan = await prisma.dossier
          .create({ data: { tenantId: 'no-such-cabinet', reference: 'R-3', title: 'x', clientName: 'y' } })
          .catch((e: unknown) => e)
        expect((orphan as Prisma.PrismaClientKnownRequestError).code).toBe('P2003')
      } finally {
        await prisma.$disconnect()
        if (own !== server) await own.close()
      }
    },
    30_000,
  )
})

describe('the production server on a libSQL server', () => {
  let dupont: Client
  beforeAll(async () => {
    app = await startApp(testAppEnv(server.url, uniquePrefix('libsql-remote'), { DATABASE_AUTH_TOKEN: TOKEN }))
    dupont = new Client(app.url)
    await dupont.login('demo@cabinet-dupont.fr')
  }, 60_000)

  it('serves the dossier API: list, create, a taken reference → 409, update, delete', async () => {
    const before = ((await (await dupont.get('/api/dossiers')).json()) as { dossiers: unknown[] }).dossiers.length
    expect(before).toBeGreaterThan(0)
    const created = await dupont.post('/api/dossiers', {
      title: 'Succession Lefèvre',
      clientName: 'Mme Lefèvre',
      reference: 'DUP-REMOTE-1',
    })
    expect(created.status).toBe(201)
    const { dossier } = (await created.json()) as { dossier: { id: string } }
    const taken = await dupont.post('/api/dossiers', { title: 'Autre', clientName: 'X', reference: 'DUP-REMOTE-1' })
    expect(taken.status).toBe(409)
    expect(((await (await dupont.get('/api/dossiers')).json()) as { dossiers: unknown[] }).dossiers).toHaveLength(
      before + 1,
    )
    expect((await dupont.patch(`/api/dossiers/${dossier.id}`, { status: 'CLOSED' })).status).toBe(200)
    expect((await dupont.delete(`/api/dossiers/${dossier.id}`)).status).toBe(204)
    expect((await dupont.get(`/api/dossiers/${dossier.id}`)).status).toBe(404)
  })

  it('generates distinct references under concurrent creation', async () => {
    await createDossiersAtOnce(dupont, 8, (i) => ({ title: `Concurrent ${i}`, clientName: 'Client' }))
  })

  it('loads no native database module (nothing platform-specific for a serverless bundle) and reports the database up', async () => {
    const health = (await (await new Client(app!.url).get('/api/health')).json()) as { database: { ok: boolean } }
    expect(health.database.ok).toBe(true)
    const maps = readFileSync(`/proc/${app!.child.pid}/maps`, 'utf8')
    expect(maps).not.toMatch(/better_sqlite3\.node|@libsql\/linux/)
  })
})
