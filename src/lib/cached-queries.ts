import { z } from 'zod'
import { Prisma, type Dossier } from '@/generated/prisma/client'
import { prisma as defaultPrisma, type PrismaClient } from '@/lib/prisma'
import { cache as defaultCache, type Cache, type NamespacedCache } from '@/lib/upstash'

/**
 * Dossier reads through the Redis cache (the seed's getCachedDossiers, made stampede-safe and
 * invalidated on writes). Each tenant's entries live in the cache namespace `dossiers:<tenantId>`:
 * a write bumps that namespace's generation (1 Redis command) and every cached list or dossier of
 * that tenant, and only that tenant, becomes a miss.
 *
 * Dates: the cache stores JSON, so createdAt/updatedAt come back as ISO strings; they are revived
 * to Date here, so a cached read returns exactly the type (and values) Prisma returns.
 * If Redis is down these functions still work, straight from the database.
 */

/** How long dossier reads stay cached (the seed's 5 minutes). */
export const DOSSIER_CACHE_TTL_SECONDS = 300

/** A dossier as stored in the cache (JSON: dates as ISO strings). */
export type CachedDossierJson = Omit<Dossier, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string }

/** Thrown for invalid arguments (names the field and what was expected). Map to 400. */
export class QueryInputError extends Error {
  override name = 'QueryInputError'
  readonly status: number = 400
}

/** The write would break a uniqueness rule (e.g. a dossier reference used twice in a cabinet). Map to 409. */
export class QueryConflictError extends QueryInputError {
  override name = 'QueryConflictError'
  override readonly status = 409
}

/** The write refers to a row that does not exist (e.g. an unknown tenant). Map to 404. */
export class QueryNotFoundError extends QueryInputError {
  override name = 'QueryNotFoundError'
  override readonly status = 404
}

const id = (field: string) =>
  z
    .string({ error: `${field} must be a string` })
    .min(1, { error: `${field} must not be empty` })
    .max(191, { error: `${field} must be at most 191 characters` })
    // Braces would break the cache namespace's hash tag.
    .regex(/^[^{}\s]+$/, { error: `${field} must not contain spaces, "{" or "}"` })

const status = z
  .string({ error: 'status must be a string' })
  .regex(/^[A-Z][A-Z_]{0,31}$/, { error: 'status must be 1-32 capital letters or "_", e.g. OPEN or CLOSED' })

const newDossierSchema = z.object({
  reference: z.string({ error: 'reference must be a string' }).trim().min(1, { error: 'reference must not be empty' }).max(100, { error: 'reference must be at most 100 characters' }),
  title: z.string({ error: 'title must be a string' }).trim().min(1, { error: 'title must not be empty' }).max(300, { error: 'title must be at most 300 characters' }),
  status: status.optional(),
})

/** What createDossier takes. */
export type NewDossier = z.input<typeof newDossierSchema>

/** Every message above names its field, so the error reads e.g. "createDossier: title must not be empty". */
function parse<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value)
  if (!r.success) throw new QueryInputError(`${where}: ${r.error.issues.map((i) => i.message).join('; ')}`)
  return r.data
}

/** Turns the cached JSON form back into Prisma's type. */
export function reviveDossier(d: CachedDossierJson): Dossier {
  return { ...d, createdAt: new Date(d.createdAt), updatedAt: new Date(d.updatedAt) }
}

/** The cached form of a row (what JSON.stringify would make of it, typed). */
export function toCachedJson(d: Dossier): CachedDossierJson {
  return { ...d, createdAt: d.createdAt.toISOString(), updatedAt: d.updatedAt.toISOString() }
}

export interface CachedQueries {
  /** The tenant's dossiers, newest first; cached 5 min. 1 Redis command on a hit, 2 on a miss. */
  getCachedDossiers(tenantId: string): Promise<Dossier[]>
  /** One dossier of the tenant, or null (also cached) if it does not exist in that tenant. */
  getCachedDossier(tenantId: string, dossierId: string): Promise<Dossier | null>
  /** Every cached read of the tenant becomes a miss; 1 Redis command. false if Redis could not be reached. */
  invalidateTenantDossiers(tenantId: string): Promise<boolean>
  /** Creates a dossier in the tenant, then invalidates the tenant's cached reads. */
  createDossier(tenantId: string, input: NewDossier): Promise<Dossier>
  /** Sets a dossier's status (null if the tenant has no such dossier), then invalidates the tenant's cached reads. */
  updateDossierStatus(tenantId: string, dossierId: string, status: string): Promise<Dossier | null>
}

export interface CachedQueriesDeps {
  /** Only the dossier delegate is used (tests pass a client with query logging). */
  prisma: Pick<PrismaClient, 'dossier'>
  cache: Cache
  ttlSeconds?: number
}

/** The queries on given dependencies (tests: a throwaway database and a private Redis). */
export function createCachedQueries({ prisma, cache, ttlSeconds = DOSSIER_CACHE_TTL_SECONDS }: CachedQueriesDeps): CachedQueries {
  const tenantCache = (tenantId: string): NamespacedCache => cache.namespace(`dossiers:${tenantId}`)

  return {
    async getCachedDossiers(tenantId) {
      const t = parse(id('tenantId'), tenantId, 'getCachedDossiers')
      // The loader returns the JSON form too, so a hit and a miss go through the same revival.
      const rows = await tenantCache(t).getOrSet<CachedDossierJson[]>(
        'list',
        async () => (await prisma.dossier.findMany({ where: { tenantId: t }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] })).map(toCachedJson),
        { ttl: ttlSeconds },
      )
      return rows.map(reviveDossier)
    },

    async getCachedDossier(tenantId, dossierId) {
      const t = parse(id('tenantId'), tenantId, 'getCachedDossier')
      const d = parse(id('dossierId'), dossierId, 'getCachedDossier')
      const row = await tenantCache(t).getOrSet<CachedDossierJson | null>(
        `dossier:${d}`,
        async () => {
          const found = await prisma.dossier.findFirst({ where: { id: d, tenantId: t } })
          return found && toCachedJson(found)
        },
        { ttl: ttlSeconds },
      )
      return row && reviveDossier(row)
    },

    async invalidateTenantDossiers(tenantId) {
      return tenantCache(parse(id('tenantId'), tenantId, 'invalidateTenantDossiers')).invalidate()
    },

    async createDossier(tenantId, input) {
      const t = parse(id('tenantId'), tenantId, 'createDossier')
      const data = parse(newDossierSchema, input, 'createDossier')
      let created: Dossier
      try {
        created = await prisma.dossier.create({ data: { ...data, tenantId: t } })
      } catch (err) {
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002') {
          throw new QueryConflictError(`createDossier: reference "${data.reference}" already exists for this tenant`)
        }
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2003') {
          throw new QueryNotFoundError(`createDossier: tenant "${t}" does not exist`)
        }
        throw err
      }
      // After the write: a read that loads between the write and this call is made a miss too.
      await tenantCache(t).invalidate()
      return created
    },

    async updateDossierStatus(tenantId, dossierId, newStatus) {
      const t = parse(id('tenantId'), tenantId, 'updateDossierStatus')
      const d = parse(id('dossierId'), dossierId, 'updateDossierStatus')
      const s = parse(status, newStatus, 'updateDossierStatus')
      try {
        // tenantId in the filter: a tenant can never update another tenant's dossier.
        const updated = await prisma.dossier.update({ where: { id: d, tenantId: t }, data: { status: s } })
        await tenantCache(t).invalidate()
        return updated
      } catch (err) {
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025') return null
        throw err
      }
    },
  }
}

let defaults: CachedQueries | undefined
/** The app's queries: the process-wide Prisma client and `cache` from '@/lib/upstash'. */
const app = (): CachedQueries => (defaults ??= createCachedQueries({ prisma: defaultPrisma, cache: defaultCache }))

export const getCachedDossiers = (tenantId: string): Promise<Dossier[]> => app().getCachedDossiers(tenantId)
export const getCachedDossier = (tenantId: string, dossierId: string): Promise<Dossier | null> => app().getCachedDossier(tenantId, dossierId)
export const invalidateTenantDossiers = (tenantId: string): Promise<boolean> => app().invalidateTenantDossiers(tenantId)
export const createDossier = (tenantId: string, input: NewDossier): Promise<Dossier> => app().createDossier(tenantId, input)
export const updateDossierStatus = (tenantId: string, dossierId: string, status: string): Promise<Dossier | null> =>
  app().updateDossierStatus(tenantId, dossierId, status)
