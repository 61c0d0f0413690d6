/**
 * The analysis pipeline as the app runs it: analyses (src/lib/analyses) wired to the deadline service,
 * so that a finished analysis proposes the future dates it found as deadlines of the dossier. The two
 * domains meet here rather than importing each other.
 */
import { createAIPipeline, type AIPipeline, type AIPipelineDeps } from '@/lib/analyses/pipeline'
import { prisma as defaultPrisma } from '@/lib/core/prisma'
import { createDeadlineService, type DeadlineService } from '@/lib/deadlines/service'

/** `createAIPipeline` with the deadline proposals on the same database (unless `deps.deadlines` says otherwise). */
export function createAppPipeline(deps: AIPipelineDeps = {}): AIPipeline {
  const prisma = deps.prisma ?? defaultPrisma
  // Built on the first proposal: a process that never finishes an analysis never builds it.
  let deadlineService: Pick<DeadlineService, 'proposeFromAnalysis'> | undefined
  return createAIPipeline({
    ...deps,
    deadlines: deps.deadlines ?? {
      proposeFromAnalysis: (ctx, dossierId, dates) =>
        (deadlineService ??= createDeadlineService({ prisma })).proposeFromAnalysis(ctx, dossierId, dates),
    },
  })
}

let appPipeline: AIPipeline | undefined
/** The app's pipeline (process-wide Prisma, Redis and the local analyser). */
export const aiPipeline = (): AIPipeline => (appPipeline ??= createAppPipeline())
