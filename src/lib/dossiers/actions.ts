'use server'
import { redirect } from 'next/navigation'
import { HttpError } from '@/lib/http-error'
import { frenchIssues, type DossierField } from '@/lib/pages/labels'
import { authedAction } from '@/lib/request/action'
import type { RequestContext } from '@/lib/request/context'
import { dossierPatchSchema, newDossierSchema, parseDossierId } from './schemas'
import { dossiers } from './service'

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
      if (err instanceof HttpError && err.status === 409)
        return { values, errors: { reference: 'Cette référence existe déjà dans le cabinet.' } }
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
      description: values.description,
      status: values.status,
    })
    if (!parsed.success) return { values, errors: frenchIssues(parsed.error) }
    const id = parseDossierId(dossierId)
    if (!id) return { values, errors: { form: GONE } }
    const written = await dossiers().updateDossier(ctx.tenantId, id, parsed.data)
    if (!written.data) return { values, errors: { form: GONE } }
    redirect(`/dossiers/${written.data.after.id}?enregistre=1`)
  },
)
