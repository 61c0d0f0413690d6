import { Prisma, type Dossier, type PrismaClient } from '@/generated/prisma/client'
import { HttpError } from '@/lib/core/http-error'
import { prisma as defaultPrisma } from '@/lib/core/prisma'
import { leaderboard, type DossierChange } from '@/lib/scores/leaderboard'
import {
  cabinetCache,
  reviveDates,
  toJson,
  type CabinetCache,
  type Read,
  type Written,
} from '@/lib/tenants/cabinet-cache'
import { isUniqueViolation, nextReference, skipTakenReferences } from './numbering'
import {
  LIST_FIELDS,
  loadPage,
  pageRequest,
  searchPage,
  type DossierListItem,
  type DossierListQuery,
  type DossierPage,
  type PageJson,
} from './paging'
import { dossierPatchSchema, newDossierSchema, type DossierPatch, type NewDossierInput } from './schemas'

/**
 * The cabinet's dossiers. Every read goes through the cabinet's cache; every write is, here and only
 * here: the database, then the cabinet's cache invalidation (what the caller's next read depends on),
 * then scoring (a projection that never fails the write and is deferred past the answer when the
 * request's Redis budget is spent).
 *
 * The tenant id always comes from the caller's session, never from the request; every query filters
 * on it, so another cabinet's dossier is simply not found.
 */
export interface DossierServiceDeps {
  prisma: Pick<PrismaClient, 'dossier' | 'tenant' | 'deadline'>
  cabinetCache: CabinetCache
  /** Scoring of writes; none: writes are not scored (tests of the cache alone). */
  scores?: { recordChange(tenantId: string, change: DossierChange): Promise<void> }
}

const DOSSIER_DATES = ['createdAt', 'updatedAt'] as const
const DOSSIER_PAGE_DATES = [...DOSSIER_DATES, 'contentUpdatedAt'] as const

export function createDossierService({ prisma, cabinetCache: cabinet, scores }: DossierServiceDeps) {
  /** After a write that happened: invalidation first, then the score. */
  async function settle<T>(tenantId: string, data: T, change: DossierChange): Promise<Written<T>> {
    const invalidated = await cabinet.afterWrite(tenantId)
    await scores?.recordChange(tenantId, change)
    return { data, invalidated }
  }

  /**
   * One page of the cabinet's dossiers, newest first. Each page is its own cache entry (1 command on
   * a hit); a search (`q`) or another order (`sort`) is a database query across all the cabinet's
   * dossiers, not cached (free text would fill the cache with one-off keys).
   */
  async function listDossierPage(tenantId: string, query: DossierListQuery = {}): Promise<Read<DossierPage>> {
    const request = pageRequest(tenantId, query)
    const q = query.q?.trim()
    const read: Read<PageJson> =
      q || request.sort !== 'creation'
        ? { data: await searchPage(prisma, request, q), cache: 'BYPASS' }
        : await cabinet.read(tenantId, request.key, () => loadPage(prisma, request))
    return {
      ...read,
      data: { ...read.data, dossiers: read.data.dossiers.map((d) => reviveDates<DossierListItem>(d, DOSSIER_DATES)) },
    }
  }

  return {
    listDossierPage,

    /** The first page (the DOSSIER_PAGE_SIZE newest) of the cabinet's dossiers: listDossierPage's cached entry. */
    async listDossiers(tenantId: string, status?: DossierListQuery['status']): Promise<Read<DossierListItem[]>> {
      const read = await listDossierPage(tenantId, { status })
      return { data: read.data.dossiers, cache: read.cache }
    },

    /** The cabinet's dossiers with these ids, in the order given; others' ids are left out. One cache entry. At most 100 ids. */
    async getDossiersByIds(tenantId: string, ids: string[]): Promise<Read<DossierListItem[]>> {
      const wanted = [...new Set(ids)].slice(0, 100)
      if (wanted.length === 0) return cabinet.emptyRead([])
      const read = await cabinet.read(tenantId, `ids:${wanted.join(',')}`, async () => {
        const rows = await prisma.dossier.findMany({ where: { tenantId, id: { in: wanted } }, select: LIST_FIELDS })
        const byId = new Map(rows.map((r) => [r.id, r]))
        return wanted.flatMap((id) => (byId.has(id) ? [toJson(byId.get(id)!)] : []))
      })
      return { ...read, data: read.data.map((d) => reviveDates<DossierListItem>(d, DOSSIER_DATES)) }
    },

    /** One dossier of the cabinet, or null (also cached) when the cabinet has no such dossier. */
    async getDossier(tenantId: string, dossierId: string): Promise<Read<Dossier | null>> {
      const read = await cabinet.read(tenantId, `dossier:${dossierId}`, async () => {
        const row = await prisma.dossier.findFirst({ where: { id: dossierId, tenantId } })
        return row && toJson(row)
      })
      return { ...read, data: read.data && reviveDates<Dossier>(read.data, DOSSIER_PAGE_DATES) }
    },

    /** Creates a dossier; without a reference, the next of the cabinet's series. A reference already used in the cabinet → 409. */
    async createDossier(tenantId: string, input: NewDossierInput): Promise<Written<Dossier>> {
      const data = newDossierSchema.parse(input)
      let created: Dossier | undefined
      for (let attempt = 0; !created; attempt++) {
        const reference = data.reference ?? (await nextReference(prisma, tenantId))
        try {
          created = await prisma.dossier.create({ data: { ...data, reference, tenantId } })
        } catch (err) {
          if (isUniqueViolation(err) && !data.reference && attempt < 5) {
            // A hand-typed reference took this number: skip past every number of the series in use.
            await skipTakenReferences(prisma, tenantId, reference)
            continue
          }
          if (isUniqueViolation(err))
            throw new HttpError(409, `reference "${reference}" already exists in this cabinet`)
          throw err
        }
      }
      return settle(tenantId, created, { kind: 'created', after: created })
    },

    /**
     * Changes any of title, clientName, reference, description, status. null when the cabinet has no such
     * dossier; a reference another of the cabinet's dossiers uses → 409. A change of what an analysis reads
     * (title, client, description) stamps contentUpdatedAt: an analysis started before it is out of date.
     */
    async updateDossier(
      tenantId: string,
      dossierId: string,
      patch: unknown,
    ): Promise<Written<{ before: Dossier; after: Dossier } | null>> {
      const data = dossierPatchSchema.parse(patch)
      const before = await prisma.dossier.findFirst({ where: { id: dossierId, tenantId } })
      if (!before) return { data: null, invalidated: true }
      let after: Dossier
      try {
        // tenantId in the filter as well: the write itself can never reach another cabinet's row.
        after = await prisma.dossier.update({
          where: { id: dossierId, tenantId },
          data: contentChanged(before, data) ? { ...data, contentUpdatedAt: new Date() } : data,
        })
      } catch (err) {
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025')
          return { data: null, invalidated: true }
        if (isUniqueViolation(err))
          throw new HttpError(409, `reference "${data.reference}" already exists in this cabinet`)
        throw err
      }
      return settle(tenantId, { before, after }, { kind: 'updated', before, after })
    },

    /** Deletes a dossier and its analyses. false when the cabinet has no such dossier. */
    async deleteDossier(tenantId: string, dossierId: string): Promise<Written<boolean>> {
      const { count } = await prisma.dossier.deleteMany({ where: { id: dossierId, tenantId } })
      if (count === 0) return { data: false, invalidated: true }
      return settle(tenantId, true, { kind: 'deleted', dossierId })
    },
  }
}

/** Whether a patch changes what an analysis reads: the title, the client or the description. */
function contentChanged(before: Dossier, patch: DossierPatch): boolean {
  return (
    (patch.title !== undefined && patch.title !== before.title) ||
    (patch.clientName !== undefined && patch.clientName !== before.clientName) ||
    (patch.description !== undefined && (patch.description ?? null) !== (before.description ?? null))
  )
}

export type DossierService = ReturnType<typeof createDossierService>

let defaults: DossierService | undefined
/** The app's dossiers: the process-wide Prisma client, the app's cabinet cache and leaderboard. */
export const dossiers = (): DossierService =>
  (defaults ??= createDossierService({ prisma: defaultPrisma, cabinetCache: cabinetCache(), scores: leaderboard }))
