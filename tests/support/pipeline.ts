import type { AIPipeline, AIPipelineDeps } from '@/lib/analyses/pipeline'
import type { PrismaClient } from '@/lib/core/prisma'
import { createAppPipeline } from '@/lib/services/analyses'
import { createLeaderboard } from '@/lib/scores/leaderboard'
import { createCabinetCache } from '@/lib/tenants/cabinet-cache'
import { createCache, createHashMap, createQueue, createSortedSet, type Queue, type RedisContext } from '@/lib/upstash'

/**
 * The app's analysis pipeline on `ctx` (a key prefix of its own, on a private stack when its commands are
 * counted): its queue, the cabinet cache it invalidates and the leaderboard, wired as the app wires them (a finished analysis proposes its dates as deadlines).
 * `deps` adds or replaces the rest (analyser, limits); what it leaves out keeps the app's default.
 */
export function pipelineOn(
  prisma: PrismaClient,
  ctx: RedisContext,
  deps: AIPipelineDeps = {},
): { pipeline: AIPipeline; queue: Queue } {
  const queue = createQueue(ctx)
  const cabinet = createCabinetCache({ prisma, cache: createCache(ctx), hashMap: createHashMap(ctx), log: () => {} })
  return {
    queue,
    pipeline: createAppPipeline({
      prisma,
      queue,
      invalidate: cabinet.invalidate,
      leaderboard: createLeaderboard(createSortedSet(ctx)),
      ...deps,
    }),
  }
}
