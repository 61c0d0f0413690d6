import { Prisma, type Analysis, type Dossier } from '@/generated/prisma/client'
import { newDossierSchema, dossierPatchSchema, type DossierPatch, type DossierStatusValue, type NewDossierInput } from '@/lib/dossiers/schemas'
import { appConfig } from '@/lib/config'
import { HttpError } from '@/lib/http-error'
import { prisma as defaultPrisma, type PrismaClient } from '@/lib/prisma'
import { afterAnswer, cache as defaultCache, hashMap as defaultHashMap, redisBudgetSpent, waitWithinBudget, type Cache, type CacheStatus, type HashMap, type NamespacedCache } from '@/lib/upstash'

/**
 * Every read of dossiers (and of their analyses) goes through the Redis cache; every write goes to
 * the database, then invalidates that cabinet's cached reads, and only that cabinet's, in one Redis
 * command (the namespace `dossiers:<tenantId>` gets a new generation).
 *
 * Read-your-writes: if an invalidation cannot reach Redis it is retried; if it still fails, the
 * failure is logged with the cabinet, the write's result says so (`invalidated: false`, which routes
 * put in a header), and this process reads that cabinet from the database until an invalidation
 * gets through. With Redis down, reads go straight to the database (X-Cache: BYPASS).
 *
 * The tenant id always comes from the caller's session, never from the request; every query filters
 * on it, so another cabinet's dossier is simply not found.
 */

/** How long dossier reads stay cached by default (the seed's 5 minutes; DOSSIER_CACHE_TTL_SECONDS). */
export const DOSSIER_CACHE_TTL_SECONDS = 300

/** What an X-Cache header says about a read. */
export type CacheHeader = 'HIT' | 'MISS' | 'BYPASS'

/** A read and where it came from. */
export interface Read<T> {
  data: T
  cache: CacheHeader
}

/** A write and whether the cabinet's cached reads were invalidated after it. */
export interface Written<T> {
  data: T
  invalidated: boolean
}

/** The cabinet's profile, kept in a hash (`tenant:<id>`) in step with the database on every write. */
export interface TenantProfile {
  name: string
  plan: string
  /** OPEN + IN_PROGRESS dossiers. */
  activeDossiers: number
}

/** A dossier's latest analysis, as pages and the API show it. */
export type AnalysisView = Pick<
  Analysis,
  'id' | 'status' | 'attempts' | 'error' | 'domain' | 'urgency' | 'urgencyReason' | 'summary' | 'analyzer' | 'createdAt' | 'startedAt' | 'completedAt'
> & { keyDates: { date: string; context: string }[]; amounts: { amount: number; context: string }[] }

/**
 * A dossier as lists show it: everything but the description (up to 10 000 characters), so that a
 * list page is bounded in bytes whatever the dossiers hold (50 items of at most ~1.6 kB: < 100 kB),
 * and every page can be cached. The dossier itself (getDossier) has the description.
 */
export type DossierListItem = Omit<Dossier, 'description'>

/** Dossiers per list page when the caller does not say (and the most it may ask for: DOSSIER_PAGE_MAX). */
export const DOSSIER_PAGE_SIZE = 50
export const DOSSIER_PAGE_MAX = 100

/** Which page of the cabinet's dossiers (newest first: createdAt desc, then id). */
export interface DossierListQuery {
  status?: DossierStatusValue
  /** Title, client or reference containing this (case-insensitive for ASCII letters), searched in the database. */
  q?: string
  /** The page after this cursor (a page's nextCursor). */
  cursor?: string
  /** The page before this cursor (a page's prevCursor). Not with `cursor`. */
  before?: string
  /** Page size, 1 to DOSSIER_PAGE_MAX (default DOSSIER_PAGE_SIZE). */
  limit?: number
}

/** One page and how to reach its neighbours (null: there is none). */
export interface DossierPage {
  dossiers: DossierListItem[]
  nextCursor: string | null
  prevCursor: string | null
}

/**
 * Keyset cursors on (createdAt, id), both immutable: a dossier never moves between pages, and a page
 * is one indexed range query however deep. Format `<createdAt ms, base 36>.<id>`: opaque to callers.
 */
export const DOSSIER_CURSOR_PATTERN = /^[0-9a-z]{1,12}\.[A-Za-z0-9_-]{1,64}$/
const encodeCursor = (d: { createdAt: Date; id: string }) => `${d.createdAt.getTime().toString(36)}.${d.id}`
function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  if (!DOSSIER_CURSOR_PATTERN.test(cursor)) throw new HttpError(400, 'cursor must be a nextCursor or prevCursor given by a previous page')
  const dot = cursor.indexOf('.')
  return { createdAt: new Date(parseInt(cursor.slice(0, dot), 36)), id: cursor.slice(dot + 1) }
}

/** Text as a search compares it: without accents (NFD, marks removed) and in lower case. */
export function foldForSearch(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()
}

const LIST_FIELDS = { id: true, tenantId: true, reference: true, title: true, clientName: true, status: true, createdAt: true, updatedAt: true } as const

const ACTIVE: DossierStatusValue[] = ['OPEN', 'IN_PROGRESS']
const INVALIDATION_RETRY_DELAYS_MS = [25, 100, 250]

export interface CachedQueriesDeps {
  prisma: Pick<PrismaClient, 'dossier' | 'tenant' | 'analysis'>
  cache: Cache
  hashMap: HashMap
  /** Seconds reads stay cached (default 300); 0 = no cache, every read from the database (BYPASS). */
  ttlSeconds?: number
  /** Where invalidation failures are reported (default console.error). */
  log?: (message: string) => void
}

/** The queries on given dependencies (tests: a throwaway database and a private Redis). */
export function createCachedQueries({ prisma, cache, hashMap, ttlSeconds = DOSSIER_CACHE_TTL_SECONDS, log = console.error }: CachedQueriesDeps) {
  const tenantCache = (tenantId: string): NamespacedCache => cache.namespace(`dossiers:${tenantId}`)
  /** Cabinets whose last invalidation failed: read from the database here until one succeeds. */
  const dirty = new Set<string>()

  /** true when invalidated now; false when not (yet): see tryInvalidate and the fallback it sets up. */
  async function invalidateTenant(tenantId: string): Promise<boolean> {
    const attempts = await tryInvalidate(tenantId)
    if (attempts === 0) return true
    dirty.add(tenantId)
    if (redisBudgetSpent()) {
      // The request's Redis budget ran out, Redis may well be up: the invalidation goes on after the answer
      // (other instances could serve the old list until it lands), and this instance reads the database meanwhile.
      void afterAnswer(async () => {
        if ((await tryInvalidate(tenantId)) === 0 && dirty.delete(tenantId)) await syncProfile(tenantId)
      })
      log(`[cache] cabinet ${tenantId}: the request's Redis budget ran out before its cached dossiers were invalidated; invalidating after the answer, reading them from the database here meanwhile`)
    } else {
      log(`[cache] could not invalidate the cached dossiers of cabinet ${tenantId} after ${attempts} attempt${attempts > 1 ? 's' : ''}; this instance reads them from the database until Redis answers`)
    }
    return false
  }

  /** Invalidates with retries, within the active Redis budget: 0 when done, else how many attempts failed. */
  async function tryInvalidate(tenantId: string): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      if (await tenantCache(tenantId).invalidate()) {
        if (dirty.delete(tenantId)) await syncProfile(tenantId) // the profile may have missed writes too
        return 0
      }
      const delay = INVALIDATION_RETRY_DELAYS_MS[attempt]
      // No more tries once the budget is spent (or the delays are): the caller's fallback keeps reads right.
      if (delay === undefined || !(await waitWithinBudget(delay))) return attempt + 1
    }
  }

  /** A cached read, or the database directly while this cabinet's cache may hold stale entries. */
  async function cachedRead<T>(tenantId: string, key: string, load: () => Promise<T>): Promise<Read<T>> {
    if (ttlSeconds === 0) return { data: await load(), cache: 'BYPASS' }
    if (dirty.has(tenantId)) {
      // A write was not invalidated: try again (1 command); until it works, read the database.
      const ok = await tenantCache(tenantId).invalidate()
      if (!ok) return { data: await load(), cache: 'BYPASS' }
      dirty.delete(tenantId)
      await syncProfile(tenantId)
    }
    const { value, status } = await tenantCache(tenantId).fetch(key, load, { ttl: ttlSeconds })
    return { data: value, cache: header(status) }
  }

  async function syncProfile(tenantId: string): Promise<void> {
    const [tenant, activeDossiers] = await Promise.all([
      prisma.tenant.findUnique({ where: { id: tenantId }, select: { name: true, plan: true } }),
      prisma.dossier.count({ where: { tenantId, status: { in: ACTIVE } } }),
    ])
    if (!tenant) return
    try {
      await hashMap.set(profileKey(tenantId), { name: tenant.name, plan: tenant.plan, activeDossiers } satisfies TenantProfile)
    } catch (err) {
      // Cut by the request's Redis budget (Redis may be fine): written again after the answer (HSET can repeat).
      if (redisBudgetSpent()) {
        void afterAnswer(() => syncProfile(tenantId))
        return
      }
      // The next getTenantProfile rebuilds it from the database.
      await hashMap.del(profileKey(tenantId)).catch(() => {})
      log(`[profile] cabinet ${tenantId}: profile not updated (${(err as Error).message})`)
    }
  }

  /** After every write: the cabinet's cached reads, then its profile. */
  async function afterWrite(tenantId: string): Promise<boolean> {
    const invalidated = await invalidateTenant(tenantId)
    // An invalidation deferred past the answer rewrites the profile itself once it lands.
    if (invalidated || !redisBudgetSpent()) await syncProfile(tenantId)
    return invalidated
  }

  /**
   * One page of the cabinet's dossiers, newest first. Each page is its own cache entry (1 command on
   * a hit), invalidated with the rest of the cabinet on every write; a search (`q`) is a database query
   * across all the cabinet's dossiers, not cached (free text would fill the cache with one-off keys).
   */
  async function listDossierPage(tenantId: string, query: DossierListQuery = {}): Promise<Read<DossierPage>> {
    const limit = query.limit ?? DOSSIER_PAGE_SIZE
    if (!Number.isInteger(limit) || limit < 1 || limit > DOSSIER_PAGE_MAX) throw new HttpError(400, `limit must be a whole number from 1 to ${DOSSIER_PAGE_MAX}`)
    if (query.cursor && query.before) throw new HttpError(400, 'give cursor or before, not both')
    const after = query.cursor ? decodeCursor(query.cursor) : undefined
    const before = query.before ? decodeCursor(query.before) : undefined
    const q = query.q?.trim()
    const load = async (): Promise<PageJson> => {
      const where: Prisma.DossierWhereInput = { tenantId, ...(query.status ? { status: query.status } : {}) }
      // Newest first is (createdAt desc, id asc); a page before a cursor is read the other way and turned round.
      const keyset: Prisma.DossierWhereInput | undefined = after
        ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { gt: after.id } }] }
        : before
          ? { OR: [{ createdAt: { gt: before.createdAt } }, { createdAt: before.createdAt, id: { lt: before.id } }] }
          : undefined
      const rows = await prisma.dossier.findMany({
        where: keyset ? { AND: [where, keyset] } : where,
        select: LIST_FIELDS,
        orderBy: before ? [{ createdAt: 'asc' }, { id: 'desc' }] : [{ createdAt: 'desc' }, { id: 'asc' }],
        take: limit + 1,
      })
      const more = rows.length > limit
      const page = rows.slice(0, limit)
      if (before) page.reverse()
      const first = page[0]
      const last = page.at(-1)
      return JSON.parse(JSON.stringify({
        dossiers: page,
        // Forward: a next page when one more row exists; a previous one whenever we came from somewhere.
        nextCursor: last && (before || more) ? encodeCursor(last) : null,
        prevCursor: first && (after || (before && more)) ? encodeCursor(first) : null,
      })) as PageJson
    }
    /**
     * A search, as a lawyer types it: accents and case ignored ("equipe" finds "Équipe", "%" is a
     * character), which SQLite's LIKE cannot do. The cabinet's short columns (reference, title,
     * client) are read in order and matched here, then the page's rows are read by id: a few hundred
     * bytes per dossier, once per search.
     */
    const search = async (needle: string): Promise<PageJson> => {
      const all = await prisma.dossier.findMany({
        where: { tenantId, ...(query.status ? { status: query.status } : {}) },
        select: { id: true, createdAt: true, title: true, clientName: true, reference: true },
        orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      })
      const hits = all.filter((d) => [d.title, d.clientName, d.reference].some((f) => foldForSearch(f).includes(needle)))
      // Rows strictly after a cursor in the list's order (createdAt desc, id asc).
      const beyond = (d: { createdAt: Date; id: string }, c: { createdAt: Date; id: string }) =>
        d.createdAt.getTime() < c.createdAt.getTime() || (d.createdAt.getTime() === c.createdAt.getTime() && d.id > c.id)
      let start = 0
      let end = Math.min(hits.length, limit)
      if (after) {
        start = hits.findIndex((d) => beyond(d, after))
        if (start < 0) start = hits.length
        end = Math.min(hits.length, start + limit)
      } else if (before) {
        // The first hit not strictly before the cursor (the cursor's own row included) ends the page.
        end = hits.findIndex((d) => !beyond(before, d))
        if (end < 0) end = hits.length
        start = Math.max(0, end - limit)
      }
      const ids = hits.slice(start, end).map((d) => d.id)
      const rows = await prisma.dossier.findMany({ where: { tenantId, id: { in: ids } }, select: LIST_FIELDS })
      const byId = new Map(rows.map((r) => [r.id, r]))
      const page = ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []))
      return JSON.parse(JSON.stringify({
        dossiers: page,
        nextCursor: end < hits.length && page.length > 0 ? encodeCursor(hits[end - 1]!) : null,
        prevCursor: start > 0 && page.length > 0 ? encodeCursor(hits[start]!) : null,
      })) as PageJson
    }
    const read: Read<PageJson> = q
      ? { data: await search(foldForSearch(q)), cache: 'BYPASS' }
      : await cachedRead(tenantId, `list:${query.status ?? 'ALL'}:${limit}:${after ? `a${query.cursor}` : before ? `b${query.before}` : 'first'}`, load)
    return { ...read, data: { ...read.data, dossiers: read.data.dossiers.map((d) => reviveDossier<DossierListItem>(d)) } }
  }

  return {
    invalidateTenant,

    listDossierPage,

    /** The first page (the DOSSIER_PAGE_SIZE newest) of the cabinet's dossiers, optionally of one status: listDossierPage's cached entry. */
    async listDossiers(tenantId: string, status?: DossierStatusValue): Promise<Read<DossierListItem[]>> {
      const read = await listDossierPage(tenantId, { status })
      return { data: read.data.dossiers, cache: read.cache }
    },

    /**
     * The cabinet's dossiers with these ids, in the order given; ids that are not the cabinet's are
     * left out. Cached as one entry (1 command on a hit). At most 100 ids.
     */
    getDossiersByIds(tenantId: string, ids: string[]): Promise<Read<DossierListItem[]>> {
      const wanted = [...new Set(ids)].slice(0, 100)
      if (wanted.length === 0) return Promise.resolve({ data: [], cache: ttlSeconds === 0 ? 'BYPASS' : 'HIT' })
      return cachedRead(tenantId, `ids:${wanted.join(',')}`, async () => {
        const rows = await prisma.dossier.findMany({ where: { tenantId, id: { in: wanted } }, select: LIST_FIELDS })
        const byId = new Map(rows.map((r) => [r.id, r]))
        return wanted.flatMap((id) => (byId.has(id) ? [toJson(byId.get(id)!)] : []))
      }).then((r) => ({ ...r, data: r.data.map((d) => reviveDossier<DossierListItem>(d)) }))
    },

    /** One dossier of the cabinet, or null (also cached) when the cabinet has no such dossier. */
    getDossier(tenantId: string, dossierId: string): Promise<Read<Dossier | null>> {
      return cachedRead(tenantId, `dossier:${dossierId}`, async () => {
        const row = await prisma.dossier.findFirst({ where: { id: dossierId, tenantId } })
        return row && toJson(row)
      }).then((r) => ({ ...r, data: r.data && reviveDossier(r.data) }))
    },

    /** The dossier's latest analysis, or null when none was ever requested. */
    getLatestAnalysis(tenantId: string, dossierId: string): Promise<Read<AnalysisView | null>> {
      return cachedRead(tenantId, `analysis:${dossierId}`, async () => {
        const row = await prisma.analysis.findFirst({ where: { dossierId, tenantId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] })
        return row && toJson(analysisView(row))
      }).then((r) => ({ ...r, data: r.data && reviveAnalysis(r.data) }))
    },

    /** The cabinet's name, plan and active dossier count: 1 Redis command, rebuilt from the database when missing. */
    async getTenantProfile(tenantId: string): Promise<TenantProfile | null> {
      // While a write of this cabinet is not invalidated, the hash may have missed it too.
      const cached = dirty.has(tenantId) ? null : await hashMap.getAll<TenantProfile>(profileKey(tenantId)).catch(() => null)
      if (cached && typeof cached.name === 'string' && typeof cached.activeDossiers === 'number') return cached
      await syncProfile(tenantId)
      const tenant = await prisma.tenant.findUnique({ where: { id: tenantId }, select: { name: true, plan: true } })
      if (!tenant) return null
      return { ...tenant, activeDossiers: await prisma.dossier.count({ where: { tenantId, status: { in: ACTIVE } } }) }
    },

    /**
     * Creates a dossier in the cabinet. Without a reference, the next one of the cabinet's series is
     * generated (`DUP-2026-014`). A reference already used in the cabinet → 409.
     */
    async createDossier(tenantId: string, input: NewDossierInput): Promise<Written<Dossier>> {
      const data = newDossierSchema.parse(input)
      let created: Dossier | undefined
      for (let attempt = 0; !created; attempt++) {
        const reference = data.reference ?? (await nextReference(prisma, tenantId))
        try {
          created = await prisma.dossier.create({ data: { ...data, reference, tenantId } })
        } catch (err) {
          if (isUnique(err) && !data.reference && attempt < 5) {
            // A hand-typed reference took this number. Fuzz finding (tests/fuzz/api.test.ts): taking just
            // the next one failed with a 409 about a reference the caller never gave as soon as more than
            // five numbers ahead were typed by hand (e.g. imported case files): skip past every number of
            // the series already used, then take the next.
            await skipTakenReferences(prisma, tenantId, reference)
            continue
          }
          if (isUnique(err)) throw new HttpError(409, `reference "${reference}" already exists in this cabinet`)
          throw err
        }
      }
      return { data: created, invalidated: await afterWrite(tenantId) }
    },

    /** Changes any of title, clientName, description, status. null when the cabinet has no such dossier. */
    async updateDossier(tenantId: string, dossierId: string, patch: unknown): Promise<Written<{ before: Dossier; after: Dossier } | null>> {
      const data: DossierPatch = dossierPatchSchema.parse(patch)
      const before = await prisma.dossier.findFirst({ where: { id: dossierId, tenantId } })
      if (!before) return { data: null, invalidated: true }
      let after: Dossier
      try {
        // tenantId in the filter as well: the write itself can never reach another cabinet's row.
        after = await prisma.dossier.update({ where: { id: dossierId, tenantId }, data })
      } catch (err) {
        if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025') return { data: null, invalidated: true }
        throw err
      }
      return { data: { before, after }, invalidated: await afterWrite(tenantId) }
    },

    /** Deletes a dossier and its analyses. false when the cabinet has no such dossier. */
    async deleteDossier(tenantId: string, dossierId: string): Promise<Written<boolean>> {
      const { count } = await prisma.dossier.deleteMany({ where: { id: dossierId, tenantId } })
      if (count === 0) return { data: false, invalidated: true }
      return { data: true, invalidated: await afterWrite(tenantId) }
    },
  }
}

export type CachedQueries = ReturnType<typeof createCachedQueries>

function header(status: CacheStatus): CacheHeader {
  return status === 'bypass' ? 'BYPASS' : status === 'miss' ? 'MISS' : 'HIT'
}

const profileKey = (tenantId: string) => `tenant:${tenantId}`

function isUnique(err: unknown): boolean {
  return err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002'
}

/**
 * Moves the cabinet's reference counter past the highest number already used in the series of
 * `taken` (`DUP-2026-` for `DUP-2026-014`), so the next generated reference is free (unless taken
 * concurrently, which the caller's retry covers). Only ever raises the counter.
 */
async function skipTakenReferences(prisma: Pick<PrismaClient, 'tenant' | 'dossier'>, tenantId: string, taken: string): Promise<void> {
  const series = taken.replace(/\d+$/, '')
  const used = await prisma.dossier.findMany({ where: { tenantId, reference: { startsWith: series } }, select: { reference: true } })
  let highest = 0
  for (const { reference } of used) {
    const rest = reference.slice(series.length)
    if (/^\d{1,9}$/.test(rest)) highest = Math.max(highest, Number(rest))
  }
  await prisma.tenant.updateMany({ where: { id: tenantId, referenceSeq: { lt: highest } }, data: { referenceSeq: highest } })
}

/** The cabinet's next generated reference: `<prefix>-<year>-<3-digit number>`, the number bumped atomically in the database. */
async function nextReference(prisma: Pick<PrismaClient, 'tenant'>, tenantId: string): Promise<string> {
  let tenant
  try {
    tenant = await prisma.tenant.update({ where: { id: tenantId }, data: { referenceSeq: { increment: 1 } }, select: { referencePrefix: true, referenceSeq: true } })
  } catch (err) {
    if (err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2025') throw new HttpError(404, 'cabinet not found')
    throw err
  }
  return `${tenant.referencePrefix}-${new Date().getFullYear()}-${String(tenant.referenceSeq).padStart(3, '0')}`
}

/** The stored JSON of an analysis's lists; anything unreadable counts as empty. */
function parseList<T>(json: string | null): T[] {
  if (!json) return []
  try {
    const v = JSON.parse(json) as unknown
    return Array.isArray(v) ? (v as T[]) : []
  } catch {
    return []
  }
}

function analysisView(a: Analysis): AnalysisView {
  return {
    id: a.id,
    status: a.status,
    attempts: a.attempts,
    error: a.error,
    domain: a.domain,
    urgency: a.urgency,
    urgencyReason: a.urgencyReason,
    summary: a.summary,
    analyzer: a.analyzer,
    createdAt: a.createdAt,
    startedAt: a.startedAt,
    completedAt: a.completedAt,
    keyDates: parseList(a.keyDates),
    amounts: parseList(a.amounts),
  }
}

/** A page as cached: dates as ISO strings. */
type PageJson = { dossiers: Json<DossierListItem>[]; nextCursor: string | null; prevCursor: string | null }

// The cache holds JSON: dates travel as ISO strings and are revived, so cached and fresh reads have the same types.
type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] }

function toJson<T extends object>(row: T): Json<T> {
  return JSON.parse(JSON.stringify(row)) as Json<T>
}

function reviveDossier<D extends { createdAt: Date; updatedAt: Date }>(d: Json<D>): D {
  const dates = d as unknown as { createdAt: string; updatedAt: string }
  return { ...d, createdAt: new Date(dates.createdAt), updatedAt: new Date(dates.updatedAt) } as unknown as D
}

function reviveAnalysis(a: Json<AnalysisView>): AnalysisView {
  const date = (s: string | null) => (s === null ? null : new Date(s))
  return { ...a, createdAt: new Date(a.createdAt), startedAt: date(a.startedAt), completedAt: date(a.completedAt) }
}

let defaults: CachedQueries | undefined
/** The app's queries: the process-wide Prisma client and helpers from '@/lib/upstash'. */
export const cachedQueries = (): CachedQueries =>
  (defaults ??= createCachedQueries({ prisma: defaultPrisma, cache: defaultCache, hashMap: defaultHashMap, ttlSeconds: appConfig().dossierCacheTtlSeconds }))

/**
 * The seed's call: the cabinet's dossiers, newest first, through the cache, page by page (each page
 * its own bounded cache entry; 1 command per page on a hit). List items: no description.
 */
export async function getCachedDossiers(tenantId: string): Promise<DossierListItem[]> {
  const all: DossierListItem[] = []
  let cursor: string | undefined
  do {
    const { data } = await cachedQueries().listDossierPage(tenantId, { cursor })
    all.push(...data.dossiers)
    cursor = data.nextCursor ?? undefined
  } while (cursor)
  return all
}
