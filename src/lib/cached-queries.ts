/**
 * Transitional: the old name of the dossier, cabinet-cache and analysis read services, kept only for
 * the tests that still import it (tests/lib/worker.test.ts, tests/chaos/*) until they move with the
 * Redis-layer tests. App code uses src/lib/dossiers, src/lib/tenants and src/lib/analyses. Delete it then.
 */
import { createAnalysisReads } from '@/lib/analyses/read-model'
import { createDossierService } from '@/lib/dossiers/service'
import { createCabinetCache, type CabinetCacheDeps } from '@/lib/tenants/cabinet-cache'

export type CachedQueriesDeps = CabinetCacheDeps & {
  prisma: CabinetCacheDeps['prisma'] &
    Parameters<typeof createAnalysisReads>[0]['prisma'] &
    Parameters<typeof createDossierService>[0]['prisma']
}

/** The dossier service (unscored), the analysis read model and the cabinet cache, on one set of dependencies. */
export function createCachedQueries(deps: CachedQueriesDeps) {
  const cabinet = createCabinetCache(deps)
  const analyses = createAnalysisReads({ prisma: deps.prisma, cabinetCache: cabinet })
  return {
    ...createDossierService({ prisma: deps.prisma, cabinetCache: cabinet }),
    getLatestAnalysis: analyses.getLatestAnalysis,
    getTenantProfile: cabinet.profile,
    invalidateTenant: cabinet.invalidate,
  }
}

export type CachedQueries = ReturnType<typeof createCachedQueries>
