import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3'
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it, vi } from 'vitest'
import { ZodError } from 'zod'
import { PrismaClient, type Dossier } from '@/generated/prisma/client'
import { createAnalysisReads } from '@/lib/analyses/read-model'
import { dossierPatchSchema } from '@/lib/dossiers/schemas'
import { createDossierService } from '@/lib/dossiers/service'
import { createCabinetCache, type CabinetCacheDeps } from '@/lib/tenants/cabinet-cache'
import { HttpError } from '@/lib/core/http-error'
import {
  createCache,
  createContext,
  createHashMap,
  RedisBudget,
  runWithRedisBudget,
  type HashMap,
  type RedisContext,
} from '@/lib/upstash'
import { startEndpoint, type RunningEndpoint } from '@/upstash-local'
import { tempDatabase } from '../../testing/database'
import { startStack, uniquePrefix, type Stack } from '../../testing/stack'
import { unreachableContext } from '../support/redis'

/**
 * The dossier service (src/lib/dossiers), the cabinet cache and profile (src/lib/tenants) and the
 * analysis read model (src/lib/analyses/read-model.ts), unscored, against a real SQLite file
 * (prisma/migrations applied) and real Redis.
 * Every SQL statement Prisma runs is taken from its own query log, so "served from the cache" means
 * "no SQL ran", and "read from the database" means the SELECT was really sent.
 */
const db = tempDatabase('cached-queries')
const prisma = new PrismaClient({
  adapter: new PrismaBetterSQLite3({ url: db.url }),
  log: [{ emit: 'event', level: 'query' }],
})
const statements: string[] = []
prisma.$on('query', (e) => statements.push(e.query))

const ctx = createContext({
  ...inject('stack'),
  REDIS_KEY_PREFIX: uniquePrefix('cq'),
  UPSTASH_DISABLE_TELEMETRY: 'true',
})
const hashMap = createHashMap(ctx)
const logged: string[] = []
/** The services on one set of dependencies, as the app composes them (scoring has its own tests: tests/scores). */
function createCachedQueries(deps: CabinetCacheDeps & { prisma: typeof prisma }) {
  const cabinet = createCabinetCache(deps)
  const analyses = createAnalysisReads({ prisma: deps.prisma, cabinetCache: cabinet })
  return {
    ...createDossierService({ prisma: deps.prisma, cabinetCache: cabinet }),
    getLatestAnalysis: analyses.getLatestAnalysis,
    getTenantProfile: cabinet.profile,
    invalidateTenant: cabinet.invalidate,
  }
}
type CachedQueries = ReturnType<typeof createCachedQueries>

const queries: CachedQueries = createCachedQueries({
  prisma,
  cache: createCache(ctx),
  hashMap,
  log: (m) => logged.push(m),
})

afterAll(async () => {
  await prisma.$disconnect()
  db.remove()
})

/** The SQL statements run while fn ran (all of them, and the SELECTs on a given table). */
async function sqlDuring<T>(
  fn: () => Promise<T>,
  table = 'Dossier',
): Promise<{ result: T; sql: number; selects: number }> {
  const before = statements.length
  const result = await fn()
  const ran = statements.slice(before)
  return {
    result,
    sql: ran.length,
    selects: ran.filter((q) => /^\s*SELECT/i.test(q) && q.includes(`\`${table}\``)).length,
  }
}

const YEAR = new Date().getFullYear()
const DAY = 86_400_000
const t0 = Date.now() - 30 * DAY

let tenantA: string
let tenantB: string
/** Cabinet A's dossiers by reference (A-1 newest… A-3 oldest), and B's one. */
let a1: Dossier, a2: Dossier, a3: Dossier, b1: Dossier

beforeEach(async () => {
  // New cabinets for every test: their cache namespaces (dossiers:<tenantId>) start empty.
  tenantA = (await prisma.tenant.create({ data: { name: 'Cabinet Dupont', plan: 'PREMIUM', referencePrefix: 'DUP' } }))
    .id
  tenantB = (await prisma.tenant.create({ data: { name: 'Cabinet Martin' } })).id
  const make = (
    tenantId: string,
    reference: string,
    title: string,
    daysAfter: number,
    status: Dossier['status'] = 'OPEN',
  ) =>
    prisma.dossier.create({
      data: { tenantId, reference, title, clientName: 'Client', status, createdAt: new Date(t0 + daysAfter * DAY) },
    })
  a1 = await make(tenantA, 'A-1', 'Succession Durand', 3)
  a2 = await make(tenantA, 'A-2', 'Bail commercial', 2, 'CLOSED')
  a3 = await make(tenantA, 'A-3', 'Licenciement Roux', 1, 'IN_PROGRESS')
  b1 = await make(tenantB, 'B-1', 'Divorce Petit', 1)
})

const freshList = (tenantId: string) =>
  prisma.dossier.findMany({
    where: { tenantId },
    omit: { description: true, contentUpdatedAt: true },
    orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
  })
/** A dossier as lists give it: without its description (a list page stays small). */
const item = ({
  description: _description,
  contentUpdatedAt: _contentUpdatedAt,
  ...rest
}: { description: string | null; contentUpdatedAt: Date | null } & Record<string, unknown>) => rest

describe('reads: the database once, then the cache', () => {
  it('listDossiers: MISS with one SELECT, then HIT with no SQL at all; dates revived, deep-equal to a fresh Prisma read', async () => {
    const first = await sqlDuring(() => queries.listDossiers(tenantA))
    expect(first.selects).toBe(1)
    expect(first.sql).toBe(1)
    expect(first.result.cache).toBe('MISS')
    expect(first.result.data.map((d) => d.reference)).toEqual(['A-1', 'A-2', 'A-3']) // newest first

    const second = await sqlDuring(() => queries.listDossiers(tenantA))
    expect(second.sql).toBe(0)
    expect(second.result.cache).toBe('HIT')
    expect(second.result.data[0]!.createdAt).toBeInstanceOf(Date)
    expect(second.result.data[0]!.updatedAt).toBeInstanceOf(Date)
    expect(second.result.data).toStrictEqual(first.result.data)
    expect(second.result.data).toStrictEqual(await freshList(tenantA))
  })

  it('20 concurrent first reads make one SQL query and all get the same rows', async () => {
    const { result, sql } = await sqlDuring(() =>
      Promise.all(Array.from({ length: 20 }, () => queries.listDossiers(tenantB))),
    )
    expect(sql).toBe(1)
    for (const r of result) {
      expect(r.cache).toBe('MISS') // they all shared the one load
      expect(r.data).toStrictEqual([item(b1)])
    }
    expect((await queries.listDossiers(tenantB)).cache).toBe('HIT')
  })

  it('listDossiers(status) is its own cached read, filtered on the status', async () => {
    const closed = await sqlDuring(() => queries.listDossiers(tenantA, 'CLOSED'))
    expect(closed.result).toEqual({ data: [item(a2)], cache: 'MISS' })
    expect(closed.selects).toBe(1)
    const inProgress = await queries.listDossiers(tenantA, 'IN_PROGRESS')
    expect(inProgress).toEqual({ data: [item(a3)], cache: 'MISS' })
    expect(await sqlDuring(() => queries.listDossiers(tenantA, 'CLOSED'))).toMatchObject({
      sql: 0,
      result: { cache: 'HIT', data: [item(a2)] },
    })
    expect((await queries.listDossiers(tenantA, 'ARCHIVED')).data).toEqual([])
  })

  it('getDossier: cached, deep-equal to the row; an unknown id is cached as null too', async () => {
    const first = await sqlDuring(() => queries.getDossier(tenantA, a1.id))
    expect(first).toMatchObject({ sql: 1, result: { cache: 'MISS' } })
    expect(first.result.data).toStrictEqual(a1)
    const again = await sqlDuring(() => queries.getDossier(tenantA, a1.id))
    expect(again.sql).toBe(0)
    expect(again.result).toStrictEqual({ data: a1, cache: 'HIT' })

    expect(await sqlDuring(() => queries.getDossier(tenantA, 'no-such-dossier'))).toMatchObject({
      sql: 1,
      result: { data: null, cache: 'MISS' },
    })
    expect(await sqlDuring(() => queries.getDossier(tenantA, 'no-such-dossier'))).toEqual({
      sql: 0,
      selects: 0,
      result: { data: null, cache: 'HIT' },
    })
  })

  it('getLatestAnalysis: null when none, else the newest, with its JSON lists parsed and its dates revived', async () => {
    expect(await queries.getLatestAnalysis(tenantA, a1.id)).toEqual({ data: null, cache: 'MISS' })

    // The null was cached: a fresh invalidation is what a real write would do.
    await prisma.analysis.create({
      data: {
        dossierId: a1.id,
        tenantId: tenantA,
        status: 'FAILED',
        error: 'old',
        createdAt: new Date(Date.now() - DAY),
      },
    })
    const latest = await prisma.analysis.create({
      data: {
        dossierId: a1.id,
        tenantId: tenantA,
        status: 'DONE',
        attempts: 2,
        domain: 'CIVIL',
        urgency: 'HAUTE',
        urgencyReason: 'Audience le 12/03/2027, dans 10 jours.',
        summary: 'Dossier A-1',
        keyDates: JSON.stringify([{ date: '2027-03-12', context: 'audience le 12/03/2027' }]),
        amounts: JSON.stringify([{ amount: 15000.5, context: '15 000,50 €' }]),
        analyzer: 'local-rules-v1',
        startedAt: new Date(Date.now() - 5000),
        completedAt: new Date(),
      },
    })
    expect(await queries.invalidateTenant(tenantA)).toBe(true)

    const expected = {
      id: latest.id,
      status: 'DONE',
      attempts: 2,
      error: null,
      domain: 'CIVIL',
      urgency: 'HAUTE',
      urgencyReason: 'Audience le 12/03/2027, dans 10 jours.',
      summary: 'Dossier A-1',
      analyzer: 'local-rules-v1',
      createdAt: latest.createdAt,
      startedAt: latest.startedAt,
      completedAt: latest.completedAt,
      keyDates: [{ date: '2027-03-12', context: 'audience le 12/03/2027' }],
      amounts: [{ amount: 15000.5, context: '15 000,50 €' }],
    }
    const miss = await queries.getLatestAnalysis(tenantA, a1.id)
    expect(miss).toStrictEqual({ data: expected, cache: 'MISS' })
    const hit = await sqlDuring(() => queries.getLatestAnalysis(tenantA, a1.id))
    expect(hit.sql).toBe(0)
    expect(hit.result).toStrictEqual({ data: expected, cache: 'HIT' })
    expect(hit.result.data!.completedAt).toBeInstanceOf(Date)
  })

  it('getLatestAnalysis: unreadable stored JSON counts as empty lists; a QUEUED one has null dates', async () => {
    const queued = await prisma.analysis.create({
      data: { dossierId: a3.id, tenantId: tenantA, keyDates: '{not json', amounts: '{"a":1}' },
    })
    const { data } = await queries.getLatestAnalysis(tenantA, a3.id)
    expect(data).toMatchObject({
      id: queued.id,
      status: 'QUEUED',
      attempts: 0,
      keyDates: [],
      amounts: [],
      startedAt: null,
      completedAt: null,
    })
    expect((await queries.getLatestAnalysis(tenantA, a3.id)).data).toStrictEqual(data)
  })

  it('entries expire after ttlSeconds', async () => {
    const shortLived = createCachedQueries({
      prisma,
      cache: createCache(ctx),
      hashMap,
      ttlSeconds: 1,
      log: (m) => logged.push(m),
    })
    expect((await shortLived.listDossiers(tenantB)).cache).toBe('MISS')
    expect((await shortLived.listDossiers(tenantB)).cache).toBe('HIT')
    const started = Date.now()
    await vi.waitFor(
      async () => {
        const r = await shortLived.listDossiers(tenantB)
        expect(r.cache).toBe('MISS')
        expect(r.data).toStrictEqual([item(b1)])
      },
      { timeout: 5000, interval: 100 },
    )
    expect(Date.now() - started).toBeGreaterThanOrEqual(500) // not at once: the entry lived about a second
  })
})

describe('writes go to the database, then invalidate the cabinet’s cached reads', () => {
  it('createDossier without a reference generates <prefix>-<year>-NNN from the cabinet’s series, skipping a number already typed by hand', async () => {
    await queries.listDossiers(tenantA) // warm
    const first = await queries.createDossier(tenantA, { title: 'Garde alternée', clientName: 'M. Bernard' })
    expect(first.invalidated).toBe(true)
    expect(first.data).toMatchObject({
      tenantId: tenantA,
      reference: `DUP-${YEAR}-001`,
      title: 'Garde alternée',
      clientName: 'M. Bernard',
      status: 'OPEN',
      description: null,
    })
    expect(await prisma.dossier.findUnique({ where: { id: first.data.id } })).toStrictEqual(first.data)

    expect((await queries.createDossier(tenantA, { title: 'Bail', clientName: 'SCI Lune' })).data.reference).toBe(
      `DUP-${YEAR}-002`,
    )
    // A reference typed by hand that takes the next number of the series: the generator moves past it.
    const typed = await queries.createDossier(tenantA, {
      reference: `DUP-${YEAR}-003`,
      title: 'Saisie',
      clientName: 'Mme Roy',
    })
    expect(typed.data.reference).toBe(`DUP-${YEAR}-003`)
    expect(
      (await queries.createDossier(tenantA, { title: 'Prud’hommes', clientName: 'M. Henry' })).data.reference,
    ).toBe(`DUP-${YEAR}-004`)
    // Each cabinet has its own series (default prefix DOS).
    expect(
      (await queries.createDossier(tenantB, { title: 'Succession', clientName: 'Mme Blanc' })).data.reference,
    ).toBe(`DOS-${YEAR}-001`)

    const list = await sqlDuring(() => queries.listDossiers(tenantA))
    expect(list.result.cache).toBe('MISS')
    expect(list.selects).toBe(1)
    expect(list.result.data).toStrictEqual(await freshList(tenantA))
    expect(list.result.data.map((d) => d.reference).sort()).toEqual([
      'A-1',
      'A-2',
      'A-3',
      ...[1, 2, 3, 4].map((n) => `DUP-${YEAR}-00${n}`),
    ])
    expect((await sqlDuring(() => queries.listDossiers(tenantA))).sql).toBe(0)
  })

  it('a reference already used in the cabinet → HttpError 409, nothing written; the same reference in another cabinet is fine', async () => {
    await queries.listDossiers(tenantA)
    const before = await prisma.dossier.count()
    const err = await queries
      .createDossier(tenantA, { reference: 'A-1', title: 'Doublon', clientName: 'X' })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HttpError)
    expect(err).toMatchObject({ status: 409, message: 'reference "A-1" already exists in this cabinet' })
    expect(await prisma.dossier.count()).toBe(before)
    expect(await prisma.dossier.count({ where: { title: 'Doublon' } })).toBe(0)
    // Nothing was written, so the cached list is still good.
    expect((await sqlDuring(() => queries.listDossiers(tenantA))).result.cache).toBe('HIT')

    const inB = await queries.createDossier(tenantB, { reference: 'A-1', title: 'Même référence', clientName: 'Y' })
    expect(inB.data).toMatchObject({ tenantId: tenantB, reference: 'A-1' })
  })

  it('updateDossier changes the reference; one another dossier of the cabinet uses → HttpError 409, nothing changed', async () => {
    const renamed = await queries.updateDossier(tenantA, a1.id, { reference: 'A-1-bis' })
    expect(renamed.data!.after.reference).toBe('A-1-bis')
    const err = await queries
      .updateDossier(tenantA, a2.id, { reference: 'A-1-bis', title: 'Autre' })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HttpError)
    expect(err).toMatchObject({ status: 409, message: 'reference "A-1-bis" already exists in this cabinet' })
    expect(await prisma.dossier.findUniqueOrThrow({ where: { id: a2.id } })).toMatchObject({
      reference: 'A-2',
      title: 'Bail commercial',
    })
    // Another cabinet's reference is no conflict.
    expect((await queries.updateDossier(tenantB, b1.id, { reference: 'A-1-bis' })).data!.after.reference).toBe(
      'A-1-bis',
    )
    expect(() => dossierPatchSchema.parse({ reference: 'é invalide' })).toThrow(ZodError)
  })

  it('updateDossier stamps contentUpdatedAt when the title, client or description change, not for a status or reference', async () => {
    expect(a1.contentUpdatedAt).toBeNull()
    await queries.updateDossier(tenantA, a1.id, { status: 'CLOSED', reference: 'A-1-ter' })
    expect((await prisma.dossier.findUniqueOrThrow({ where: { id: a1.id } })).contentUpdatedAt).toBeNull()
    // The same title again is no change either.
    await queries.updateDossier(tenantA, a1.id, { title: a1.title })
    expect((await prisma.dossier.findUniqueOrThrow({ where: { id: a1.id } })).contentUpdatedAt).toBeNull()
    const before = Date.now()
    await queries.updateDossier(tenantA, a1.id, { clientName: 'Nouveau client' })
    const stamped = (await prisma.dossier.findUniqueOrThrow({ where: { id: a1.id } })).contentUpdatedAt
    expect(stamped!.getTime()).toBeGreaterThanOrEqual(before)
    // The cached read carries it as a Date.
    expect((await queries.getDossier(tenantA, a1.id)).data!.contentUpdatedAt).toEqual(stamped)
  })

  it('listDossierPage sorts by reference, client, last update or next deadline (confirmed, not done), paging after the cursor row', async () => {
    await prisma.dossier.update({ where: { id: a3.id }, data: { clientName: 'Alpha' } })
    await prisma.dossier.update({ where: { id: a2.id }, data: { clientName: 'bêta' } })
    const refs = async (sort: 'reference' | 'client' | 'maj' | 'echeance', extra: object = {}) =>
      (await queries.listDossierPage(tenantA, { sort, ...extra })).data.dossiers.map((d) => d.reference)
    expect(await refs('reference')).toEqual(['A-1', 'A-2', 'A-3'])
    expect(await refs('client')).toEqual(['A-3', 'A-2', 'A-1'])
    expect(await refs('maj')).toEqual(['A-2', 'A-3', 'A-1'])
    const deadline = (dossierId: string, days: number, data: object = {}) =>
      prisma.deadline.create({
        data: { tenantId: tenantA, dossierId, title: 'Audience', dueAt: new Date(Date.now() + days * DAY), ...data },
      })
    await deadline(a3.id, 10)
    await deadline(a1.id, 5)
    await deadline(a1.id, 1, { done: true })
    await deadline(a2.id, 2, { status: 'proposed' })
    expect(await refs('echeance')).toEqual(['A-1', 'A-3', 'A-2'])
    const first = await queries.listDossierPage(tenantA, { sort: 'reference', limit: 2 })
    expect(first.cache).toBe('BYPASS')
    const second = await queries.listDossierPage(tenantA, {
      sort: 'reference',
      limit: 2,
      cursor: first.data.nextCursor!,
    })
    expect(second.data.dossiers.map((d) => d.reference)).toEqual(['A-3'])
    const back = await queries.listDossierPage(tenantA, {
      sort: 'reference',
      limit: 2,
      before: second.data.prevCursor!,
    })
    expect(back.data.dossiers.map((d) => d.reference)).toEqual(['A-1', 'A-2'])
  })

  it('invalid input: a ZodError naming the field; nothing written, nothing invalidated, no reference number used', async () => {
    await queries.listDossiers(tenantA)
    const count = await prisma.dossier.count()
    const zodError = async (p: Promise<unknown>) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(ZodError)
      return (err as ZodError).issues.map((i) => ({ path: i.path.join('.'), message: i.message }))
    }

    expect(await zodError(queries.createDossier(tenantA, { title: '  ', clientName: 'X' }))).toEqual([
      { path: 'title', message: 'title must not be empty' },
    ])
    expect(await zodError(queries.createDossier(tenantA, { title: 'T' } as never))).toEqual([
      { path: 'clientName', message: 'clientName must be a string' },
    ])
    expect(
      await zodError(queries.createDossier(tenantA, { title: 'T', clientName: 'X', status: 'open' as never })),
    ).toEqual([{ path: 'status', message: 'status must be one of OPEN, IN_PROGRESS, CLOSED, ARCHIVED' }])
    expect(await zodError(queries.createDossier(tenantA, { title: 'T', clientName: 'X', reference: 'a b' }))).toEqual([
      { path: 'reference', message: 'reference must be letters, digits, ".", "_", "/" or "-", e.g. DUP-2026-014' },
    ])
    expect(
      await zodError(queries.createDossier(tenantA, { title: 'T', clientName: 'X', tenantId: tenantB } as never)),
    ).toEqual([{ path: '', message: expect.stringMatching(/tenantId/) }])
    expect(await zodError(queries.createDossier(tenantA, { title: 'x'.repeat(201), clientName: 'X' }))).toEqual([
      { path: 'title', message: 'title must be at most 200 characters' },
    ])
    expect(await zodError(queries.updateDossier(tenantA, a1.id, {}))).toEqual([
      { path: '', message: 'give at least one of title, clientName, reference, description, status' },
    ])
    expect(await zodError(queries.updateDossier(tenantA, a1.id, { status: 'DONE' }))).toEqual([
      { path: 'status', message: 'status must be one of OPEN, IN_PROGRESS, CLOSED, ARCHIVED' },
    ])
    expect(await zodError(queries.updateDossier(tenantA, a1.id, { title: 'ok', clientName: '\u0007' }))).toEqual([
      { path: 'clientName', message: 'clientName must not contain control, zero-width or text-direction characters' },
    ])

    expect(await prisma.dossier.count()).toBe(count)
    expect(await prisma.dossier.findUnique({ where: { id: a1.id } })).toStrictEqual(a1)
    expect((await prisma.tenant.findUnique({ where: { id: tenantA } }))?.referenceSeq).toBe(0)
    expect((await sqlDuring(() => queries.listDossiers(tenantA))).result.cache).toBe('HIT')
    expect(logged).toEqual([])
  })

  it('updateDossier: returns before/after; the list, the status lists and the dossier are read afresh', async () => {
    await queries.listDossiers(tenantA)
    await queries.listDossiers(tenantA, 'OPEN')
    await queries.listDossiers(tenantA, 'CLOSED')
    expect((await queries.getDossier(tenantA, a1.id)).data?.status).toBe('OPEN')

    const { data, invalidated } = await queries.updateDossier(tenantA, a1.id, {
      status: 'CLOSED',
      description: '  Clôturé après accord  ',
    })
    expect(invalidated).toBe(true)
    expect(data!.before).toStrictEqual(a1)
    expect(data!.after).toMatchObject({
      id: a1.id,
      status: 'CLOSED',
      description: 'Clôturé après accord',
      title: 'Succession Durand',
    })
    expect(data!.after.updatedAt.getTime()).toBeGreaterThanOrEqual(a1.updatedAt.getTime())

    const one = await sqlDuring(() => queries.getDossier(tenantA, a1.id))
    expect(one.selects).toBe(1)
    expect(one.result).toStrictEqual({ data: data!.after, cache: 'MISS' })
    expect((await queries.listDossiers(tenantA)).data.find((d) => d.id === a1.id)).toStrictEqual(item(data!.after))
    expect((await queries.listDossiers(tenantA, 'OPEN')).data).toEqual([])
    expect((await queries.listDossiers(tenantA, 'CLOSED')).data.map((d) => d.reference)).toEqual(['A-1', 'A-2'])

    // "" clears the description.
    const cleared = await queries.updateDossier(tenantA, a1.id, { description: '' })
    expect(cleared.data!.after.description).toBeNull()
    expect((await queries.getDossier(tenantA, a1.id)).data!.description).toBeNull()
  })

  it('deleteDossier: gone from the list and the single read, its analyses with it', async () => {
    await prisma.analysis.create({ data: { dossierId: a2.id, tenantId: tenantA, status: 'DONE' } })
    await queries.listDossiers(tenantA)
    expect((await queries.getDossier(tenantA, a2.id)).data).toStrictEqual(a2)
    expect((await queries.getLatestAnalysis(tenantA, a2.id)).data?.status).toBe('DONE')

    expect(await queries.deleteDossier(tenantA, a2.id)).toEqual({ data: true, invalidated: true })
    expect(await prisma.dossier.findUnique({ where: { id: a2.id } })).toBeNull()
    expect(await prisma.analysis.count({ where: { dossierId: a2.id } })).toBe(0)
    expect(await queries.getDossier(tenantA, a2.id)).toEqual({ data: null, cache: 'MISS' })
    expect(await queries.getLatestAnalysis(tenantA, a2.id)).toEqual({ data: null, cache: 'MISS' })
    expect((await queries.listDossiers(tenantA)).data.map((d) => d.reference)).toEqual(['A-1', 'A-3'])
    // Deleting again: nothing to delete.
    expect(await queries.deleteDossier(tenantA, a2.id)).toEqual({ data: false, invalidated: true })
  })

  it('invalidateTenant: the next read goes to the database', async () => {
    await queries.listDossiers(tenantA)
    expect(await queries.invalidateTenant(tenantA)).toBe(true)
    expect(await sqlDuring(() => queries.listDossiers(tenantA))).toMatchObject({
      selects: 1,
      result: { cache: 'MISS' },
    })
  })

  it('a write whose request spent its Redis budget is invalidated after the answer: another instance stops serving the old list', async () => {
    // Another instance of the app: its own cached queries on the same Redis.
    const other = createCachedQueries({ prisma, cache: createCache(ctx), hashMap, log: () => {} })
    expect((await other.listDossiers(tenantA)).cache).toBe('MISS')
    expect((await other.listDossiers(tenantA)).cache).toBe('HIT')
    // The write's request has no Redis time left (Redis itself is fine): nothing can be sent within it.
    const written = await runWithRedisBudget(new RedisBudget(0), () =>
      queries.createDossier(tenantA, { reference: 'A-9', title: 'Après la réponse', clientName: 'M. Tard' }),
    )
    expect(written.invalidated).toBe(false)
    expect(logged.at(-1)).toMatch(
      new RegExp(`cabinet ${tenantA}: the request's Redis budget ran out .* invalidating after the answer`),
    )
    // This instance reads the database meanwhile; the other one sees the new dossier once the invalidation lands.
    expect((await queries.listDossiers(tenantA)).data.map((d) => d.reference)).toContain('A-9')
    await vi.waitFor(
      async () => expect((await other.listDossiers(tenantA)).data.map((d) => d.reference)).toContain('A-9'),
      { timeout: 5_000, interval: 20 },
    )
  })
})

describe('tenant isolation', () => {
  it('cabinet B never sees cabinet A’s rows, cached or not', async () => {
    await prisma.analysis.create({ data: { dossierId: a1.id, tenantId: tenantA, status: 'DONE', summary: 'secret' } })
    for (let i = 0; i < 2; i++) {
      expect((await queries.listDossiers(tenantB)).data).toStrictEqual([item(b1)])
      expect((await queries.listDossiers(tenantB, 'CLOSED')).data).toEqual([])
      expect((await queries.getDossier(tenantB, a1.id)).data).toBeNull()
      expect((await queries.getLatestAnalysis(tenantB, a1.id)).data).toBeNull()
    }
    // A's own reads of the same ids are unaffected by B's cached nulls.
    expect((await queries.getDossier(tenantA, a1.id)).data).toStrictEqual(a1)
    expect((await queries.getLatestAnalysis(tenantA, a1.id)).data?.summary).toBe('secret')
  })

  it('a write in A invalidates only A’s entries: B’s stay warm', async () => {
    await queries.listDossiers(tenantA)
    await queries.getDossier(tenantA, a1.id)
    await queries.listDossiers(tenantB)
    await queries.getDossier(tenantB, b1.id)

    await queries.createDossier(tenantA, { reference: 'A-4', title: 'Garde alternée', clientName: 'M. Simon' })

    const bReads = await sqlDuring(() =>
      Promise.all([queries.listDossiers(tenantB), queries.getDossier(tenantB, b1.id)]),
    )
    expect(bReads.sql).toBe(0)
    expect(bReads.result.map((r) => r.cache)).toEqual(['HIT', 'HIT'])
    const aRead = await sqlDuring(() => queries.listDossiers(tenantA))
    expect(aRead.result.cache).toBe('MISS')
    expect(aRead.result.data.map((d) => d.reference)).toContain('A-4')
    expect((await queries.getDossier(tenantA, a1.id)).cache).toBe('MISS')
  })

  it('updateDossier / deleteDossier of another cabinet’s id: null / false, the row untouched, no cache invalidated', async () => {
    await queries.listDossiers(tenantB)
    await queries.getDossier(tenantB, b1.id)

    expect(await queries.updateDossier(tenantA, b1.id, { status: 'CLOSED', title: 'piraté' })).toEqual({
      data: null,
      invalidated: true,
    })
    expect(await queries.deleteDossier(tenantA, b1.id)).toEqual({ data: false, invalidated: true })

    expect(await prisma.dossier.findUnique({ where: { id: b1.id } })).toStrictEqual(b1)
    const bReads = await sqlDuring(() =>
      Promise.all([queries.listDossiers(tenantB), queries.getDossier(tenantB, b1.id)]),
    )
    expect(bReads.sql).toBe(0)
    expect(bReads.result).toStrictEqual([
      { data: [item(b1)], cache: 'HIT' },
      { data: b1, cache: 'HIT' },
    ])
    expect(await queries.getTenantProfile(tenantB)).toEqual({ name: 'Cabinet Martin', plan: 'FREE', activeDossiers: 1 })
  })
})

describe('getTenantProfile: the cabinet’s hash (name, plan, OPEN + IN_PROGRESS count)', () => {
  const activeInDb = (tenantId: string) =>
    prisma.dossier.count({ where: { tenantId, status: { in: ['OPEN', 'IN_PROGRESS'] } } })

  it('is built from the database once, then served from the hash, and kept in step by every write', async () => {
    const first = await sqlDuring(() => queries.getTenantProfile(tenantA))
    expect(first.result).toEqual({ name: 'Cabinet Dupont', plan: 'PREMIUM', activeDossiers: 2 }) // A-1 OPEN, A-3 IN_PROGRESS
    expect(first.sql).toBeGreaterThan(0)
    expect(await hashMap.getAll(`tenant:${tenantA}`)).toEqual({
      name: 'Cabinet Dupont',
      plan: 'PREMIUM',
      activeDossiers: 2,
    })

    /** The profile, asserting it came from the hash (no SQL) and matches the database. */
    const profile = async () => {
      const { result, sql } = await sqlDuring(() => queries.getTenantProfile(tenantA))
      expect(sql).toBe(0)
      expect(result!.activeDossiers).toBe(await activeInDb(tenantA))
      return result
    }
    expect(await profile()).toEqual({ name: 'Cabinet Dupont', plan: 'PREMIUM', activeDossiers: 2 })

    const created = (await queries.createDossier(tenantA, { title: 'Nouveau', clientName: 'X' })).data
    expect((await profile())!.activeDossiers).toBe(3)
    await queries.createDossier(tenantA, { title: 'Archivé', clientName: 'X', status: 'ARCHIVED' })
    expect((await profile())!.activeDossiers).toBe(3)
    await queries.updateDossier(tenantA, a1.id, { status: 'CLOSED' })
    expect((await profile())!.activeDossiers).toBe(2)
    await queries.updateDossier(tenantA, a2.id, { status: 'IN_PROGRESS' })
    expect((await profile())!.activeDossiers).toBe(3)
    await queries.updateDossier(tenantA, a3.id, { title: 'Renommé' }) // no status change
    expect((await profile())!.activeDossiers).toBe(3)
    await queries.deleteDossier(tenantA, created.id)
    expect((await profile())!.activeDossiers).toBe(2)
    expect(await hashMap.getAll(`tenant:${tenantA}`)).toEqual({
      name: 'Cabinet Dupont',
      plan: 'PREMIUM',
      activeDossiers: 2,
    })

    // B's profile never moved.
    expect(await queries.getTenantProfile(tenantB)).toEqual({ name: 'Cabinet Martin', plan: 'FREE', activeDossiers: 1 })
  })

  it('a missing or damaged hash is rebuilt from the database; an unknown cabinet is null', async () => {
    await queries.getTenantProfile(tenantA)
    await hashMap.del(`tenant:${tenantA}`, 'activeDossiers')
    expect(await queries.getTenantProfile(tenantA)).toEqual({
      name: 'Cabinet Dupont',
      plan: 'PREMIUM',
      activeDossiers: 2,
    })
    expect(await hashMap.getAll(`tenant:${tenantA}`)).toEqual({
      name: 'Cabinet Dupont',
      plan: 'PREMIUM',
      activeDossiers: 2,
    })

    expect(await queries.getTenantProfile('no-such-cabinet')).toBeNull()
    expect(await hashMap.getAll('tenant:no-such-cabinet')).toBeNull()
  })
})

describe('when Redis cannot be reached (a private stack)', () => {
  let stack: Stack
  let endpoint: RunningEndpoint
  let downCtx: RedisContext
  let down: CachedQueries
  let downHash: HashMap
  const downLog: string[] = []
  const cacheErrors: string[] = []

  beforeAll(async () => {
    stack = await startStack()
    endpoint = stack.endpoint
    downCtx = createContext({
      ...stack.env,
      REDIS_KEY_PREFIX: uniquePrefix('cqdown'),
      UPSTASH_DISABLE_TELEMETRY: 'true',
      REDIS_TIMEOUT_MS: '300',
      REDIS_RETRIES: '0',
    })
    downHash = createHashMap(downCtx)
    down = createCachedQueries({
      prisma,
      cache: createCache(downCtx, { onError: (_e, op) => cacheErrors.push(op) }),
      hashMap: downHash,
      log: (m) => downLog.push(m),
    })
  })
  afterAll(async () => {
    await endpoint.close()
    await stack.redis.stop()
  })

  it('a write that cannot invalidate says so, logs the cabinet, and this instance then reads that cabinet from the database (BYPASS, never stale) until Redis answers again', async () => {
    // Warm: both cabinets cached, A's profile in its hash.
    expect((await down.listDossiers(tenantA)).cache).toBe('MISS')
    expect((await down.listDossiers(tenantA)).cache).toBe('HIT')
    expect((await down.getDossier(tenantA, a1.id)).cache).toBe('MISS')
    expect((await down.listDossiers(tenantB)).cache).toBe('MISS')
    expect(await down.getTenantProfile(tenantA)).toEqual({ name: 'Cabinet Dupont', plan: 'PREMIUM', activeDossiers: 2 })

    await endpoint.close() // Redis unreachable: connection refused
    const started = performance.now()
    const written = await down.updateDossier(tenantA, a1.id, { status: 'CLOSED' })
    expect(performance.now() - started).toBeLessThan(5000)
    expect(written.invalidated).toBe(false)
    expect(written.data!.after.status).toBe('CLOSED')
    expect(await prisma.dossier.findUnique({ where: { id: a1.id } })).toMatchObject({ status: 'CLOSED' })
    expect(downLog).toHaveLength(2)
    expect(downLog[0]).toMatch(
      new RegExp(`could not invalidate the cached dossiers of cabinet ${tenantA} after 4 attempts`),
    )
    expect(downLog[1]).toMatch(new RegExp(`\\[profile\\] cabinet ${tenantA}: profile not updated`))

    // Reads of A: from the database, showing the write.
    const list = await sqlDuring(() => down.listDossiers(tenantA))
    expect(list.result.cache).toBe('BYPASS')
    expect(list.selects).toBe(1)
    expect(list.result.data).toStrictEqual(await freshList(tenantA))
    expect(list.result.data.find((d) => d.id === a1.id)?.status).toBe('CLOSED')
    expect(await down.getDossier(tenantA, a1.id)).toStrictEqual({ data: written.data!.after, cache: 'BYPASS' })
    // B (no failed write) is read from the database too while Redis is down, and correct.
    expect(await down.listDossiers(tenantB)).toStrictEqual({ data: [item(b1)], cache: 'BYPASS' })
    // The profile is computed from the database (its hash cannot be written: logged too).
    expect(await down.getTenantProfile(tenantA)).toEqual({ name: 'Cabinet Dupont', plan: 'PREMIUM', activeDossiers: 1 })
    expect(downLog).toHaveLength(3)
    expect(downLog[2]).toMatch(new RegExp(`\\[profile\\] cabinet ${tenantA}: profile not updated`))

    // Redis answers again (same address): the first read of A invalidates its stale entries, then caches afresh.
    endpoint = await startEndpoint({
      redisUrl: stack.redis.url,
      port: stack.endpoint.port,
      token: stack.endpoint.token,
    })
    const back = await sqlDuring(() => down.listDossiers(tenantA))
    expect(back.result.cache).toBe('MISS')
    expect(back.result.data.find((d) => d.id === a1.id)?.status).toBe('CLOSED')
    expect((await down.listDossiers(tenantA)).cache).toBe('HIT')
    expect(await down.getDossier(tenantA, a1.id)).toStrictEqual({ data: written.data!.after, cache: 'MISS' })
    // B had no failed write: its entries from before the outage are still served.
    expect(await sqlDuring(() => down.listDossiers(tenantB))).toMatchObject({
      sql: 0,
      result: { cache: 'HIT', data: [item(b1)] },
    })
    expect(downLog).toHaveLength(3) // nothing more once Redis is back
  })

  it('with redis-server stopped, reads are BYPASS and correct, writes report invalidated: false', async () => {
    await down.listDossiers(tenantA)
    await down.listDossiers(tenantB)
    await stack.redis.stop()
    downLog.length = 0

    expect(await down.listDossiers(tenantA)).toStrictEqual({ data: await freshList(tenantA), cache: 'BYPASS' })
    expect(await down.getDossier(tenantB, b1.id)).toStrictEqual({ data: b1, cache: 'BYPASS' })
    expect(await down.getDossier(tenantB, a1.id)).toStrictEqual({ data: null, cache: 'BYPASS' })
    expect((await down.getLatestAnalysis(tenantA, a1.id)).cache).toBe('BYPASS')

    const created = await down.createDossier(tenantB, { title: 'Pendant la panne', clientName: 'Z' })
    expect(created.invalidated).toBe(false)
    expect(created.data.reference).toBe(`DOS-${YEAR}-001`)
    expect(downLog[0]).toContain(`cabinet ${tenantB}`)
    expect((await down.listDossiers(tenantB)).data.map((d) => d.reference)).toEqual([`DOS-${YEAR}-001`, 'B-1'])
    expect(await down.getTenantProfile(tenantB)).toEqual({ name: 'Cabinet Martin', plan: 'FREE', activeDossiers: 2 })
    expect(await down.deleteDossier(tenantB, created.data.id)).toEqual({ data: true, invalidated: false })
    expect((await down.listDossiers(tenantB)).data).toStrictEqual([item(b1)])
  })
})

describe('with a Redis that was never reachable (closed port)', () => {
  it('reads are BYPASS and correct; a write reports invalidated: false and names the cabinet', async () => {
    const log: string[] = []
    const unreachable = unreachableContext('cqnone', { REDIS_TIMEOUT_MS: '200' })
    const q = createCachedQueries({
      prisma,
      cache: createCache(unreachable, { onError: () => {} }),
      hashMap: createHashMap(unreachable),
      log: (m) => log.push(m),
    })
    const reads = await sqlDuring(() => Promise.all([q.listDossiers(tenantA), q.listDossiers(tenantA)]))
    expect(reads.result).toStrictEqual([
      { data: await freshList(tenantA), cache: 'BYPASS' },
      { data: await freshList(tenantA), cache: 'BYPASS' },
    ])
    expect(reads.selects).toBe(1) // concurrent reads still share one load
    const w = await q.updateDossier(tenantA, a3.id, { status: 'OPEN' })
    expect(w.invalidated).toBe(false)
    expect(log.some((m) => m.includes(`cabinet ${tenantA}`))).toBe(true)
    expect((await q.getDossier(tenantA, a3.id)).data?.status).toBe('OPEN')
    expect(await q.getTenantProfile(tenantA)).toEqual({ name: 'Cabinet Dupont', plan: 'PREMIUM', activeDossiers: 2 })
  })
})
