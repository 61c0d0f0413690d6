'use server'
import { redirect } from 'next/navigation'
import { parseDossierId } from '@/lib/dossiers/schemas'
import { HttpError } from '@/lib/core/http-error'
import { authedAction } from '@/lib/request/action'
import type { RequestContext } from '@/lib/request/context'
import { RedisDisabledError, RedisUnavailableError } from '@/lib/upstash'
import { drainAfterResponse } from '@/lib/services/analysis-drain'
import { aiPipeline } from '@/lib/services/analyses'
import { AnalysisLimitError, DossierClosedError } from '@/lib/analyses/request'

export interface AnalyzeState {
  error?: string
}

/** "Lancer l’analyse" / "Relancer l’analyse": queues it (or finds the one pending), then shows the dossier again. */
export const requestAnalysisAction = authedAction(
  (dossierId) => `/dossiers/${dossierId}`,
  async (ctx: RequestContext, dossierId: string, _prev: AnalyzeState): Promise<AnalyzeState> => {
    const id = parseDossierId(dossierId)
    if (!id) return { error: 'Ce dossier n’existe pas.' }
    try {
      await aiPipeline().requestAnalysis(ctx.tenantId, id, 'normal', { userId: ctx.userId })
      drainAfterResponse()
    } catch (err) {
      if (err instanceof AnalysisLimitError) {
        return {
          error:
            err.reason === 'cabinet-pending'
              ? `Votre cabinet a déjà ${err.limit} analyses en attente : attendez qu’elles se terminent avant d’en lancer d’autres.`
              : 'Trop de demandes d’analyse en peu de temps. Réessayez dans quelques minutes.',
        }
      }
      if (err instanceof DossierClosedError)
        return {
          error: `Ce dossier est ${err.dossierStatus === 'CLOSED' ? 'clôturé' : 'archivé'} : rouvrez-le pour l’analyser.`,
        }
      if (err instanceof HttpError && err.status === 404) return { error: 'Ce dossier n’existe pas ou plus.' }
      if (err instanceof RedisUnavailableError || err instanceof RedisDisabledError)
        return { error: 'La file d’analyse est momentanément indisponible. Réessayez dans un instant.' }
      throw err
    }
    redirect(`/dossiers/${id}`)
  },
)
