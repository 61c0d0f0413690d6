import type { PrismaClient } from '@/generated/prisma/client'
import { afterAnswer, redisBudgetSpent, type HashMap } from '@/lib/upstash'

/** The cabinet's profile, kept in a hash (`tenant:<id>`) in step with the database on every write. */
export interface TenantProfile {
  name: string
  plan: string
  /** OPEN + IN_PROGRESS dossiers. */
  activeDossiers: number
}

export interface ProfileDeps {
  prisma: Pick<PrismaClient, 'dossier' | 'tenant'>
  hashMap: HashMap
  log: (message: string) => void
}

const ACTIVE = ['OPEN', 'IN_PROGRESS'] as const
const profileKey = (tenantId: string): string => `tenant:${tenantId}`

/** The cabinet profile hash: rewritten from the database after writes, read in 1 command. */
export function createProfiles({ prisma, hashMap, log }: ProfileDeps) {
  async function fromDatabase(tenantId: string): Promise<TenantProfile | null> {
    const [tenant, activeDossiers] = await Promise.all([
      prisma.tenant.findUnique({ where: { id: tenantId }, select: { name: true, plan: true } }),
      prisma.dossier.count({ where: { tenantId, status: { in: [...ACTIVE] } } }),
    ])
    return tenant && { name: tenant.name, plan: tenant.plan, activeDossiers }
  }

  /** Writes the hash from the database (HSET can repeat, so a deferred rewrite is harmless). */
  async function sync(tenantId: string): Promise<void> {
    const profile = await fromDatabase(tenantId)
    if (!profile) return
    try {
      await hashMap.set(profileKey(tenantId), profile satisfies TenantProfile)
    } catch (err) {
      // Cut by the request's Redis budget (Redis may be fine): written again after the answer.
      if (redisBudgetSpent()) {
        void afterAnswer(() => sync(tenantId))
        return
      }
      // The next read rebuilds it from the database.
      await hashMap.del(profileKey(tenantId)).catch(() => {})
      log(`[profile] cabinet ${tenantId}: profile not updated (${(err as Error).message})`)
    }
  }

  /**
   * The cabinet's name, plan and active dossier count: 1 Redis command, rebuilt from the database when
   * missing, or when `stale` (a write of the cabinet was not invalidated: the hash may have missed it too).
   */
  async function read(tenantId: string, stale: boolean): Promise<TenantProfile | null> {
    const cached = stale ? null : await hashMap.getAll<TenantProfile>(profileKey(tenantId)).catch(() => null)
    if (cached && typeof cached.name === 'string' && typeof cached.activeDossiers === 'number') return cached
    await sync(tenantId)
    return fromDatabase(tenantId)
  }

  return { sync, read }
}

export type Profiles = ReturnType<typeof createProfiles>
