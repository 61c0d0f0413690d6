'use server'
import { redirect } from 'next/navigation'
import { HttpError } from '@/lib/core/http-error'
import { frenchIssues, type DossierField } from '@/lib/pages/labels'
import { authedAction } from '@/lib/request/action'
import type { RequestContext } from '@/lib/request/context'
import { canDeleteDossier } from '@/lib/dossiers/permissions'
import { dossierPatchSchema, newDossierSchema, parseDossierId } from '@/lib/dossiers/schemas'
import { dossiers } from '@/lib/dossiers/service'

/**
 * The dossier forms' writes: the same zod schemas and service as the API routes. The cabinet is always
 * the session's. Invalid input writes nothing and comes back with the values as typed and one French
 * message per field.
 */
export type DossierValues = Record<DossierField, string>
export interface DossierFormState {
  values: DossierValues
  errors: Partial<Record<DossierField | 'form', string>>
}

const FIELDS: DossierField[] = ['title', 'clientName', 'reference', 'description', 'status']
const GONE = 'Ce dossier n’existe pas ou plus.'
const REFERENCE_TAKEN = 'Référence déjà utilisée : un autre dossier du cabinet la porte. Choisissez-en une autre.'

function valuesOf(form: FormData): DossierValues {
  return Object.fromEntries(
    FIELDS.map((f) => [f, typeof form.get(f) === 'string' ? (form.get(f) as string) : '']),
  ) as DossierValues
}

export const createDossierAction = authedAction(
  '/dossiers/new',
  async (ctx: RequestContext, _prev: DossierFormState, form: FormData): Promise<DossierFormState> => {
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
      id = (await dossiers().createDossier(ctx.tenantId, parsed.data)).data.id
    } catch (err) {
      if (err instanceof HttpError && err.status === 409) return { values, errors: { reference: REFERENCE_TAKEN } }
      throw err
    }
    redirect(`/dossiers/${id}?cree=1`)
  },
)

export const updateDossierAction = authedAction(
  (dossierId) => `/dossiers/${dossierId}`,
  async (
    ctx: RequestContext,
    dossierId: string,
    _prev: DossierFormState,
    form: FormData,
  ): Promise<DossierFormState> => {
    const values = valuesOf(form)
    const parsed = dossierPatchSchema.safeParse({
      title: values.title,
      clientName: values.clientName,
      reference: values.reference,
      description: values.description,
      status: values.status,
    })
    if (!parsed.success) return { values, errors: frenchIssues(parsed.error) }
    const id = parseDossierId(dossierId)
    if (!id) return { values, errors: { form: GONE } }
    let written
    try {
      written = await dossiers().updateDossier(ctx.tenantId, id, parsed.data)
    } catch (err) {
      if (err instanceof HttpError && err.status === 409) return { values, errors: { reference: REFERENCE_TAKEN } }
      throw err
    }
    if (!written.data) return { values, errors: { form: GONE } }
    redirect(`/dossiers/${written.data.after.id}?enregistre=1`)
  },
)

/**
 * "Supprimer définitivement" on the confirmation page: the dossier, its analyses and échéances are
 * deleted, then the list says so. A plain form post: it works without JavaScript.
 */
export const deleteDossierAction = authedAction(
  (dossierId) => `/dossiers/${dossierId}/supprimer`,
  async (ctx: RequestContext, dossierId: string): Promise<void> => {
    if (!canDeleteDossier(ctx.role)) redirect(`/dossiers/${encodeURIComponent(dossierId)}?suppression=refusee`)
    const id = parseDossierId(dossierId)
    const dossier = id ? (await dossiers().getDossier(ctx.tenantId, id)).data : null
    if (!id || !dossier) redirect('/dossiers?introuvable=1')
    const written = await dossiers().deleteDossier(ctx.tenantId, id)
    redirect(
      written.data ? `/dossiers?${new URLSearchParams({ supprime: dossier.reference })}` : '/dossiers?introuvable=1',
    )
  },
)
