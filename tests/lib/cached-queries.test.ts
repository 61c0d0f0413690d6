import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest'
import { PrismaClient } from '@/generated/prisma/client'
import { createCachedQueries, QueryInputError, type CachedQueries } from '@/lib/cached-queries'
import { createPrismaClient, databaseUrl } from '@/lib/prisma'
import { createCache, createContext } from '@/lib/upstash'
import { uniquePrefix } from '../support/stack'

/**
 * The Prisma cache layer against a real SQLite file (schema applied from prisma/schema.prisma) and
 * real Redis. Database reads are counted from Prisma's own query log, so "served from the cache"
 * means "no SQL ran".
 */
const dir = mkdtempSync(path.join(tmpdir(), 'cached-queries-'))
const dbFile = path.join(dir, 'test.db')
let prisma: PrismaClient<'query'>
let queries: CachedQueries
const dossierSelects: string[] = []

beforeAll(() => {
  // `prisma migrate diff` turns the schema into SQL without a schema engine binary (engine-free setup).
  const sql = execFileSync('npx', ['prisma', 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'], {
    encoding: 'utf8',
    env: { ...process.env, CHECKPOINT_DISABLE: '1' },
  })
  const db = new Database(dbFile)
  db.exec(sql)
  db.close()
  prisma = new PrismaClient({ adapter: new PrismaBetterSQLite3({ url: `file:${dbFile}` }), log: [{ emit: 'event', level: 'query' }] })
  prisma.$on('query', (e) => {
    if (/^SELECT/.test(e.query) && e.query.includes('`Dossier`')) dossierSelects.push(e.query)
  })
  const cache = createCache(createContext({ ...inject('stack'), REDIS_KEY_PREFIX: uniquePrefix('cq'), UPSTASH_DISABLE_TELEMETRY: 'true' }))
  queries = createCachedQueries({ prisma, cache })
})
afterAll(async () => {
  await prisma.$disconnect()
  rmSync(dir, { recursive: true, force: true })
})

/** Database reads of dossiers made while fn ran. */
async function selectsDuring<T>(fn: () => Promise<T>): Promise<{ result: T; selects: number }> {
  const before = dossierSelects.length
  const result = await fn()
  return { result, selects: dossierSelects.length - before }
}

let tenantA: string
let tenantB: string
beforeEach(async () => {
  tenantA = (await prisma.tenant.create({ data: { name: 'Cabinet Dupont', plan: 'PREMIUM' } })).id
  tenantB = (await prisma.tenant.create({ data: { name: 'Cabinet Martin' } })).id
  await prisma.dossier.createMany({
    data: [
      { tenantId: tenantA, reference: 'A-1', title: 'Succession Durand' },
      { tenantId: tenantA, reference: 'A-2', title: 'Bail commercial', status: 'CLOSED' },
      { tenantId: tenantB, reference: 'B-1', title: 'Divorce Petit' },
    ],
  })
})

describe('getCachedDossiers', () => {
  it('reads the database once, then serves the cache; same rows, dates revived to Date', async () => {
    const first = await selectsDuring(() => queries.getCachedDossiers(tenantA))
    expect(first.selects).toBe(1)
    expect(first.result.map((d) => d.reference).sort()).toEqual(['A-1', 'A-2'])

    const second = await selectsDuring(() => queries.getCachedDossiers(tenantA))
    expect(second.selects).toBe(0)
    expect(second.result).toStrictEqual(first.result)
    expect(second.result[0]!.createdAt).toBeInstanceOf(Date)

    const direct = await prisma.dossier.findMany({ where: { tenantId: tenantA }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] })
    expect(second.result).toStrictEqual(direct)
  })

  it('20 concurrent first reads make one database query', async () => {
    const { result, selects } = await selectsDuring(() => Promise.all(Array.from({ length: 20 }, () => queries.getCachedDossiers(tenantB))))
    expect(selects).toBe(1)
    for (const rows of result) expect(rows.map((d) => d.reference)).toEqual(['B-1'])
  })
})

describe('mutations invalidate the tenant’s cached reads', () => {
  it('createDossier: the next list read sees the new dossier', async () => {
    await queries.getCachedDossiers(tenantA)
    const created = await queries.createDossier(tenantA, { reference: 'A-3', title: 'Licenciement Roux' })
    expect(created.status).toBe('OPEN')
    const { result, selects } = await selectsDuring(() => queries.getCachedDossiers(tenantA))
    expect(selects).toBe(1)
    expect(result.map((d) => d.reference).sort()).toEqual(['A-1', 'A-2', 'A-3'])
    expect((await selectsDuring(() => queries.getCachedDossiers(tenantA))).selects).toBe(0)
  })

  it('updateDossierStatus: both the list and the single dossier are refreshed', async () => {
    const [d] = await prisma.dossier.findMany({ where: { tenantId: tenantA, reference: 'A-1' } })
    expect((await queries.getCachedDossier(tenantA, d!.id))?.status).toBe('OPEN')
    await queries.getCachedDossiers(tenantA)

    const updated = await queries.updateDossierStatus(tenantA, d!.id, 'CLOSED')
    expect(updated?.status).toBe('CLOSED')

    const one = await selectsDuring(() => queries.getCachedDossier(tenantA, d!.id))
    expect(one.selects).toBe(1)
    expect(one.result?.status).toBe('CLOSED')
    expect(one.result?.updatedAt.getTime()).toBe(updated!.updatedAt.getTime())
    const list = await queries.getCachedDossiers(tenantA)
    expect(list.find((x) => x.id === d!.id)?.status).toBe('CLOSED')
  })

  it('invalidateTenantDossiers makes the next read go to the database', async () => {
    await queries.getCachedDossiers(tenantA)
    expect(await queries.invalidateTenantDossiers(tenantA)).toBe(true)
    expect((await selectsDuring(() => queries.getCachedDossiers(tenantA))).selects).toBe(1)
  })
})

describe('tenant isolation', () => {
  it('a write in one tenant leaves the other tenant’s cache warm', async () => {
    await queries.getCachedDossiers(tenantA)
    await queries.getCachedDossiers(tenantB)
    await queries.createDossier(tenantB, { reference: 'B-2', title: 'Garde alternée' })
    expect((await selectsDuring(() => queries.getCachedDossiers(tenantA))).selects).toBe(0)
    expect((await queries.getCachedDossiers(tenantB)).map((d) => d.reference).sort()).toEqual(['B-1', 'B-2'])
  })

  it('a tenant can neither read nor update another tenant’s dossier', async () => {
    const [b1] = await prisma.dossier.findMany({ where: { tenantId: tenantB } })
    expect(await queries.getCachedDossier(tenantA, b1!.id)).toBeNull()
    expect(await queries.updateDossierStatus(tenantA, b1!.id, 'CLOSED')).toBeNull()
    expect((await prisma.dossier.findUnique({ where: { id: b1!.id } }))?.status).toBe('OPEN')
    expect((await queries.getCachedDossier(tenantB, b1!.id))?.reference).toBe('B-1')
  })

  it('a dossier that does not exist is cached as null too', async () => {
    expect((await selectsDuring(() => queries.getCachedDossier(tenantA, 'no-such-dossier'))).selects).toBe(1)
    const again = await selectsDuring(() => queries.getCachedDossier(tenantA, 'no-such-dossier'))
    expect(again).toEqual({ result: null, selects: 0 })
  })
})

describe('input validation', () => {
  it('names the field and what was expected, and writes nothing', async () => {
    await expect(queries.createDossier(tenantA, { reference: 'A-9', title: '  ' })).rejects.toThrow(/createDossier: title must not be empty/)
    await expect(queries.createDossier(tenantA, { reference: 'A-9', title: 'x', status: 'open' })).rejects.toThrow(QueryInputError)
    await expect(queries.getCachedDossiers('{bad}')).rejects.toThrow(/tenantId must not contain/)
    await expect(queries.updateDossierStatus(tenantA, '', 'OPEN')).rejects.toThrow(/dossierId must not be empty/)
    expect(await prisma.dossier.count({ where: { reference: 'A-9' } })).toBe(0)
  })
})

describe('with REDIS_ENABLED=false', () => {
  it('every read goes to the database (still one query for concurrent reads)', async () => {
    const uncached = createCachedQueries({ prisma, cache: createCache(createContext({ REDIS_ENABLED: 'false' })) })
    expect((await selectsDuring(() => uncached.getCachedDossiers(tenantA))).selects).toBe(1)
    expect((await selectsDuring(() => uncached.getCachedDossiers(tenantA))).selects).toBe(1)
    expect((await selectsDuring(() => Promise.all([1, 2, 3].map(() => uncached.getCachedDossiers(tenantA))))).selects).toBe(1)
  })
})

describe('src/lib/prisma.ts', () => {
  it('validates DATABASE_URL, naming it, with file:./prisma/dev.db as the default', () => {
    expect(databaseUrl({})).toBe('file:./prisma/dev.db')
    expect(databaseUrl({ DATABASE_URL: '' })).toBe('file:./prisma/dev.db')
    expect(databaseUrl({ DATABASE_URL: 'file:/tmp/x.db' })).toBe('file:/tmp/x.db')
    expect(() => databaseUrl({ DATABASE_URL: 'postgres://db/app' })).toThrow(/DATABASE_URL must be a SQLite URL like file:/)
  })

  it('createPrismaClient talks to the given database through the better-sqlite3 adapter', async () => {
    const client = createPrismaClient(`file:${dbFile}`)
    try {
      expect(await client.tenant.count()).toBeGreaterThan(0)
    } finally {
      await client.$disconnect()
    }
  })

  it('the app singleton is one instance per process (kept on globalThis across reloads)', async () => {
    const first = (await import('@/lib/prisma')).prisma
    vi.resetModules()
    const reloaded = (await import('@/lib/prisma')).prisma
    expect(reloaded).toBe(first)
  })
})
