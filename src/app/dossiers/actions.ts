'use server'

import { redirect } from 'next/navigation'
import { aiPipeline, AnalysisLimitError } from '@/lib/ai-queue'
import { drainAfterResponse } from '@/lib/analysis/drain'
import { cachedQueries } from '@/lib/cached-queries'
import { dossierIdSchema, dossierPatchSchema, newDossierSchema } from '@/lib/dossiers/schemas'
import { HttpError } from '@/lib/http-error'
import { recordChange } from '@/lib/leaderboard'
import { currentIdentity, loginPath, withPageBudget } from '@/lib/pages/auth'
import { frenchIssues, type DossierField } from '@/lib/pages/labels'
import { RedisDisabledError, RedisUnavailableError } from '@/lib/upstash'

/**
 * The dossier forms' writes: the same zod schemas, queries and scoring as the API routes
 * (src/app/api/dossiers/**). The cabinet is always the session's. Invalid input writes nothing and
 * comes back with the values as typed and one French message per field.
 */

export type DossierValues = Record<DossierField, string>
export interface DossierFormState {
  values: DossierValues
  errors: Partial<Record<DossierField | 'form', string>>
}

const FIELDS: DossierField[] = ['title', 'clientName', 'reference', 'description', 'status']

function valuesOf(form: FormData): DossierValues {
  return Object.fromEntries(FIELDS.map((f) => [f, typeof form.get(f) === 'string' ? (form.get(f) as string) : ''])) as DossierValues
}

async function tenantOr(path: string): Promise<string> {
  const identity = await currentIdentity()
  if (!identity) redirect(loginPath(path))
  return identity.tenantId
}

export async function createDossierAction(_prev: DossierFormState, form: FormData): Promise<DossierFormState> {
  const tenantId = await tenantOr('/dossiers/new')
  const values = valuesOf(form)
  const parsed = newDossierSchema.safeParse({
    title: values.title,
    clientName: values.clientName,
    description: values.description,
    status: values.status || undefined,
    ...(values.reference.trim() ? { reference: values.reference } : {}),
  })
  if (!parsed.success) return { values, errors: frenchIssues(parsed.error) }
  let id: string
  try {
    id = await withPageBudget(async () => {
      const written = await cachedQueries().createDossier(tenantId, parsed.data)
      await recordChange(tenantId, { kind: 'created', after: written.data })
      return written.data.id
    })
  } catch (err) {
    if (err instanceof HttpError && err.status === 409) return { values, errors: { reference: 'Cette référence existe déjà dans le cabinet.' } }
    throw err
  }
  redirect(`/dossiers/${id}?cree=1`)
}

export async function updateDossierAction(dossierId: string, _prev: DossierFormState, form: FormData): Promise<DossierFormState> {
  const tenantId = await tenantOr(`/dossiers/${dossierId}`)
  const values = valuesOf(form)
  const parsed = dossierPatchSchema.safeParse({ title: values.title, clientName: values.clientName, description: values.description, status: values.status })
  if (!parsed.success) return { values, errors: frenchIssues(parsed.error) }
  const id = dossierIdSchema.safeParse(dossierId)
  if (!id.success) return { values, errors: { form: 'Ce dossier n’existe pas ou plus.' } }
  const after = await withPageBudget(async () => {
    const written = await cachedQueries().updateDossier(tenantId, id.data, parsed.data)
    if (!written.data) return null
    const { before, after } = written.data
    await recordChange(tenantId, { kind: 'updated', before, after })
    return after
  })
  if (!after) return { values, errors: { form: 'Ce dossier n’existe pas ou plus.' } }
  redirect(`/dossiers/${after.id}?enregistre=1`)
}

export interface AnalyzeState {
  error?: string
}

/** "Lancer l'analyse": queues it (or finds the one pending), then shows the dossier again. */
export async function requestAnalysisAction(dossierId: string, _prev: AnalyzeState): Promise<AnalyzeState> {
  const identity = await currentIdentity()
  if (!identity) redirect(loginPath(`/dossiers/${dossierId}`))
  const id = dossierIdSchema.safeParse(dossierId)
  if (!id.success) return { error: 'Ce dossier n’existe pas.' }
  try {
    await withPageBudget(() => aiPipeline().requestAnalysis(identity.tenantId, id.data, 'normal', { userId: identity.userId }))
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
    if (err instanceof HttpError && err.status === 404) return { error: 'Ce dossier n’existe pas ou plus.' }
    if (err instanceof RedisUnavailableError || err instanceof RedisDisabledError) {
      return { error: 'La file d’analyse est momentanément indisponible. Réessayez dans un instant.' }
    }
    throw err
  }
  redirect(`/dossiers/${id.data}`)
}
