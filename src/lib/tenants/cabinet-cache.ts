import type { PrismaClient } from '@/generated/prisma/client'
import { appConfig } from '@/lib/core/config'
import { prisma as defaultPrisma } from '@/lib/core/prisma'
import {
  afterAnswer,
  cache as defaultCache,
  hashMap as defaultHashMap,
  redisBudgetSpent,
  waitWithinBudget,
  type Cache,
  type CacheStatus,
  type HashMap,
  type NamespacedCache,
} from '@/lib/upstash'
import { createProfiles, type TenantProfile } from './profile'

/**
 * Each cabinet's cached reads live in one namespace (`dossiers:<tenantId>`); a write invalidates that
 * cabinet's namespace, and only that one, in one Redis command (a new generation), then rewrites its
 * profile hash.
 *
 * Read-your-writes: an invalidation that cannot reach Redis is retried; if it still fails, the failure
 * is logged with the cabinet, the write says so (`invalidated: false`, which routes put in a header),
 * and this process reads that cabinet from the database until an invalidation gets through. With
 * Redis down, reads go straight to the database (X-Cache: BYPASS).
 */

/** How long cached reads stay by default (the seed's 5 minutes; DOSSIER_CACHE_TTL_SECONDS). */
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

export interface CabinetCacheDeps {
  prisma: Pick<PrismaClient, 'dossier' | 'tenant'>
  cache: Cache
  hashMap: HashMap
  /** Seconds reads stay cached (default 300); 0 = no cache, every read from the database (BYPASS). */
  ttlSeconds?: number
  /** Where invalidation failures are reported (default console.error). */
  log?: (message: string) => void
}

const INVALIDATION_RETRY_DELAYS_MS = [25, 100, 250]

export function createCabinetCache({
  prisma,
  cache,
  hashMap,
  ttlSeconds = DOSSIER_CACHE_TTL_SECONDS,
  log = console.error,
}: CabinetCacheDeps) {
  const namespace = (tenantId: string): NamespacedCache => cache.namespace(`dossiers:${tenantId}`)
  const profiles = createProfiles({ prisma, hashMap, log })
  /** Cabinets whose last invalidation failed: read from the database here until one succeeds. */
  const dirty = new Set<string>()

  /** true when invalidated now; false when not (yet), with the fallback above set up. */
  async function invalidate(tenantId: string): Promise<boolean> {
    const attempts = await tryInvalidate(tenantId)
    if (attempts === 0) return true
    dirty.add(tenantId)
    if (redisBudgetSpent()) {
      // The request's Redis budget ran out, Redis may well be up: the invalidation goes on after the answer
      // (other instances could serve the old list until it lands), and this instance reads the database meanwhile.
      void afterAnswer(async () => {
        if ((await tryInvalidate(tenantId)) === 0 && dirty.delete(tenantId)) await profiles.sync(tenantId)
      })
      log(
        `[cache] cabinet ${tenantId}: the request's Redis budget ran out before its cached dossiers were invalidated; invalidating after the answer, reading them from the database here meanwhile`,
      )
    } else {
      log(
        `[cache] could not invalidate the cached dossiers of cabinet ${tenantId} after ${attempts} attempt${attempts > 1 ? 's' : ''}; this instance reads them from the database until Redis answers`,
      )
    }
    return false
  }

  /** Invalidates with retries, within the active Redis budget: 0 when done, else how many attempts failed. */
  async function tryInvalidate(tenantId: string): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      if (await namespace(tenantId).invalidate()) {
        if (dirty.delete(tenantId)) await profiles.sync(tenantId) // the profile may have missed writes too
        return 0
      }
      const delay = INVALIDATION_RETRY_DELAYS_MS[attempt]
      // No more tries once the budget is spent (or the delays are): the caller's fallback keeps reads right.
      if (delay === undefined || !(await waitWithinBudget(delay))) return attempt + 1
    }
  }

  return {
    invalidate,

    /** After every write of the cabinet: its cached reads, then its profile. */
    async afterWrite(tenantId: string): Promise<boolean> {
      const invalidated = await invalidate(tenantId)
      // An invalidation deferred past the answer rewrites the profile itself once it lands.
      if (invalidated || !redisBudgetSpent()) await profiles.sync(tenantId)
      return invalidated
    },

    /** A cached read (1 command on a hit), or the database directly while this cabinet's cache may hold stale entries. */
    async read<T>(tenantId: string, key: string, load: () => Promise<T>): Promise<Read<T>> {
      if (ttlSeconds === 0) return { data: await load(), cache: 'BYPASS' }
      if (dirty.has(tenantId)) {
        // A write was not invalidated: try again (1 command); until it works, read the database.
        if (!(await namespace(tenantId).invalidate())) return { data: await load(), cache: 'BYPASS' }
        dirty.delete(tenantId)
        await profiles.sync(tenantId)
      }
      const { value, status } = await namespace(tenantId).fetch(key, load, { ttl: ttlSeconds })
      return { data: value, cache: header(status) }
    },

    /** What an empty read answers: BYPASS when caching is off. */
    emptyRead<T>(data: T): Read<T> {
      return { data, cache: ttlSeconds === 0 ? 'BYPASS' : 'HIT' }
    },

    /** The cabinet's name, plan and active dossier count: 1 Redis command, rebuilt from the database when missing. */
    profile(tenantId: string): Promise<TenantProfile | null> {
      return profiles.read(tenantId, dirty.has(tenantId))
    },
  }
}

export type CabinetCache = ReturnType<typeof createCabinetCache>

function header(status: CacheStatus): CacheHeader {
  return status === 'bypass' ? 'BYPASS' : status === 'miss' ? 'MISS' : 'HIT'
}

let defaults: CabinetCache | undefined
/** The app's cabinet cache: the process-wide Prisma client and helpers from '@/lib/upstash'. */
export const cabinetCache = (): CabinetCache =>
  (defaults ??= createCabinetCache({
    prisma: defaultPrisma,
    cache: defaultCache,
    hashMap: defaultHashMap,
    ttlSeconds: appConfig().dossierCacheTtlSeconds,
  }))

// The cache holds JSON: dates travel as ISO strings and are revived, so cached and fresh reads have the same types.
export type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] }

export function toJson<T extends object>(row: T): Json<T> {
  return JSON.parse(JSON.stringify(row)) as Json<T>
}

/** `row` with the named date fields revived (null stays null). */
export function reviveDates<T>(row: Json<T>, fields: readonly (keyof T)[]): T {
  const out: Record<string, unknown> = { ...row }
  for (const f of fields) {
    const v = out[f as string]
    if (typeof v === 'string') out[f as string] = new Date(v)
  }
  return out as T
}
